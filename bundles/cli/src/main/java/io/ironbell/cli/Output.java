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

    static String text(JsonNode n, String... path) {
        JsonNode c = n;
        for (String p : path) {
            c = c == null ? null : c.get(p);
        }
        return c == null || c.isNull() ? "" : c.isValueNode() ? c.asText() : c.toString();
    }
}
