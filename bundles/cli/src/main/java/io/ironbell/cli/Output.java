package io.ironbell.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Prints results as a table (for people), or as JSON or YAML (for scripts), as {@code -o} says. */
final class Output {

    enum Format { table, json, yaml }

    /** A column: header and how to get its text from a row. */
    record Column(String header, Function<JsonNode, String> value) {
    }

    private final Format format;
    private final PrintStream out;

    Output(Format format, PrintStream out) {
        this.format = format;
        this.out = out;
    }

    Format format() {
        return format;
    }

    /** Prints one record: JSON/YAML as it is; in table form through {@code table}. */
    void record(JsonNode node, Runnable table) throws CliException {
        if (format == Format.table) {
            table.run();
        } else {
            raw(node);
        }
    }

    /** Prints rows; JSON/YAML print {@code whole} instead (e.g. the page with its cursor). */
    void rows(JsonNode whole, JsonNode rows, List<Column> columns) throws CliException {
        if (format != Format.table) {
            raw(whole);
            return;
        }
        List<String[]> lines = new ArrayList<>();
        lines.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (JsonNode r : rows) {
            lines.add(columns.stream().map(c -> {
                String v = c.value().apply(r);
                return v == null ? "" : v.replace('\n', ' ');
            }).toArray(String[]::new));
        }
        int[] width = new int[columns.size()];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], Math.min(l[i].length(), 60));
            }
        }
        for (String[] l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                String cell = l[i].length() > 60 ? l[i].substring(0, 57) + "..." : l[i];
                b.append(i == l.length - 1 ? cell : String.format("%-" + width[i] + "s  ", cell));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    void raw(JsonNode node) throws CliException {
        try {
            if (format == Format.yaml) {
                out.print(Json.yaml().writeValueAsString(node));
            } else {
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
            }
        } catch (JsonProcessingException e) {
            throw new CliException(CliException.ERROR, "cannot print: " + e.getOriginalMessage());
        }
    }

    /** The YAML style of Kubernetes objects, as kubectl writes them: quotes only where needed, multi-line texts as blocks. */
    private static final com.fasterxml.jackson.databind.ObjectMapper OBJECT_YAML = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper(
            com.fasterxml.jackson.dataformat.yaml.YAMLFactory.builder()
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .build());

    /** Prints a Kubernetes object: YAML in kubectl's style, or JSON with {@code -o json}. */
    void object(JsonNode node) throws CliException {
        if (format == Format.json) {
            raw(node);
            return;
        }
        try {
            out.print(OBJECT_YAML.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new CliException(CliException.ERROR, "cannot print: " + e.getOriginalMessage());
        }
    }

    /** The texts of a JSON array (none for anything else), made safe for a terminal. */
    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(v -> out.add(printable(v.asText())));
        }
        return out;
    }

    /** A field's text, made safe for a terminal ({@link #printable}): values come from machines too. */
    static String text(JsonNode n, String... path) {
        JsonNode c = n;
        for (String p : path) {
            c = c == null ? null : c.get(p);
        }
        return printable(c == null || c.isNull() ? "" : c.isValueNode() ? c.asText() : c.toString());
    }

    /** Text from a machine, safe for a terminal: control characters escaped (tabs kept), everything else as it is. */
    static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escaped = c < 0x20 && c != '\t' || c == 0x7f ? String.format("\\x%02x", (int) c)
                    : unsafe(c) ? String.format("\\u%04x", (int) c) : null;
            if (escaped != null && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (escaped != null) {
                    b.append(escaped);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** C1 controls (U+009B is CSI) and the characters that reorder text (bidirectional overrides). */
    static boolean unsafe(char c) {
        return c >= 0x80 && c <= 0x9f || c == 0x061c || c == 0x200e || c == 0x200f || c >= 0x202a && c <= 0x202e
                || c >= 0x2066 && c <= 0x2069;
    }

}
