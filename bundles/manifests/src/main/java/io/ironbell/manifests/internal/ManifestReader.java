package io.ironbell.manifests.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import io.ironbell.api.json.LineTree;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a file of Kubernetes objects as kubectl does: YAML documents separated by {@code ---}, or
 * JSON, each an object or a {@code kind: List} of them; empty documents are skipped. Every
 * object remembers its document's number and the line where each of its fields starts, for
 * errors that point at them.
 */
final class ManifestReader {

    /** One object read: where it was, the object, and its fields' lines ({@code spec.hardwareRef} to line). */
    record Document(int number, int line, ObjectNode object, Map<String, Integer> lines) {

        /** The line of {@code field}, or of the nearest enclosing field that has one. */
        int lineOf(String field) {
            for (String f = field; ; ) {
                Integer l = lines.get(f);
                if (l != null) {
                    return l;
                }
                int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
                if (cut <= 0) {
                    return line;
                }
                f = f.substring(0, cut);
            }
        }

        /** Where {@code field} is, for a message: {@code document 2 (line 14)}. */
        String at(String field) {
            return "document " + number + " (line " + lineOf(field) + ")";
        }
    }

    /** Why a file cannot be read at all. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }

    private ManifestReader() {
    }

    static List<Document> read(String text) throws Unreadable {
        String trimmed = text.stripLeading();
        boolean json = trimmed.startsWith("{") || trimmed.startsWith("[");
        List<Document> docs = new ArrayList<>();
        int number = 0;
        try (JsonParser p = (json ? Json.mapper() : Json.yaml()).getFactory().createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                number++;
                int line = p.currentTokenLocation().getLineNr();
                Map<String, Integer> lines = new HashMap<>();
                JsonNode value = LineTree.read(p, lines, path -> false);
                if (value.isNull() || value.isMissingNode() || value.isTextual() && value.asText().isEmpty()) {
                    continue; // an empty document (YAML reads one as null or as the empty text)
                }
                if (t != JsonToken.START_OBJECT) {
                    throw new Unreadable("document " + number + " (line " + line + "): must be a mapping (apiVersion, kind, metadata, ...), was "
                            + value.getNodeType().toString().toLowerCase());
                }
                ObjectNode object = (ObjectNode) value;
                if ("List".equals(object.path("kind").asText()) && object.path("items").isArray()) {
                    ArrayNode items = (ArrayNode) object.get("items");
                    for (int i = 0; i < items.size(); i++) {
                        String prefix = "items[" + i + "]";
                        if (!items.get(i).isObject()) {
                            throw new Unreadable("document " + number + " (line " + lines.getOrDefault(prefix, line) + "): " + prefix
                                    + " must be a mapping");
                        }
                        Map<String, Integer> itemLines = new HashMap<>();
                        lines.forEach((k, v) -> {
                            if (k.startsWith(prefix + ".")) {
                                itemLines.put(k.substring(prefix.length() + 1), v);
                            }
                        });
                        docs.add(new Document(number, lines.getOrDefault(prefix, line), (ObjectNode) items.get(i), itemLines));
                    }
                } else {
                    docs.add(new Document(number, line, object, lines));
                }
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new Unreadable("document " + Math.max(number, 1) + " (line " + line + "): malformed " + (json ? "JSON" : "YAML") + ": "
                    + problem(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new Unreadable("cannot read: " + e.getMessage());
        }
        return docs;
    }

    /** SnakeYAML's message without its excerpts: "while parsing a flow node: expected the node content, but found ...". */
    private static String problem(String message) {
        StringBuilder b = new StringBuilder();
        for (String line : message.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                b.append(b.isEmpty() ? "" : ": ").append(line.strip());
            }
        }
        return b.toString();
    }
}
