package io.ironbell.api.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads JSON or YAML into a tree while noting the line where each field starts
 * ({@code tasks[0].actions[1].name} to its line), for errors that say where; a field written
 * twice in one mapping is refused, as Go's yaml.v3 refuses it.
 */
public final class LineTree {

    private LineTree() {
    }

    /**
     * Reads the value at the parser's current token.
     *
     * @param lines       receives each field's path and line
     * @param writtenText the paths whose scalar is kept as the text written ({@code 0644} stays
     *                    {@code "0644"}, {@code true} stays {@code "true"}), as a Go string field reads it
     */
    public static JsonNode read(JsonParser p, Map<String, Integer> lines, Predicate<String> writtenText) throws IOException {
        return value(p, "", lines, writtenText);
    }

    private static JsonNode value(JsonParser p, String path, Map<String, Integer> lines, Predicate<String> writtenText) throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        int line = p.currentTokenLocation().getLineNr();
        lines.putIfAbsent(path, line);
        JsonToken t = p.currentToken();
        if (t.isScalarValue() && t != JsonToken.VALUE_NULL && writtenText.test(path)) {
            return f.textNode(p.getText());
        }
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = f.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    if (o.has(name)) {
                        throw new JsonProcessingException("field " + child + " appears twice", p.currentTokenLocation()) {
                            private static final long serialVersionUID = 1L;
                        };
                    }
                    lines.put(child, p.currentTokenLocation().getLineNr());
                    p.nextToken();
                    o.set(name, value(p, child, lines, writtenText));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = f.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(value(p, path + "[" + i++ + "]", lines, writtenText));
                }
                return a;
            }
            case VALUE_STRING -> {
                return f.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return f.numberNode(p.getBigIntegerValue());
            }
            case VALUE_NUMBER_FLOAT -> {
                return f.numberNode(p.getDecimalValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return f.booleanNode(p.getBooleanValue());
            }
            case VALUE_NULL -> {
                return f.nullNode();
            }
            default -> throw new IOException("unexpected " + t);
        }
    }
}
