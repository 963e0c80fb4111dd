package io.ironbell.http.internal;

import io.ironbell.api.metrics.MetricWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Renders samples in Prometheus' text exposition format 0.0.4: one {@code # HELP} and
 * {@code # TYPE} per metric name, its samples grouped under them.
 */
final class PrometheusWriter implements MetricWriter {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private record Family(String help, String type, List<String> samples) {
    }

    private final Map<String, Family> families = new LinkedHashMap<>();
    private final List<String> rejected = new ArrayList<>();

    @Override
    public void counter(String name, String help, double value, String... labels) {
        add(name, help, "counter", value, labels);
    }

    @Override
    public void gauge(String name, String help, double value, String... labels) {
        add(name, help, "gauge", value, labels);
    }

    private void add(String name, String help, String type, double value, String... labels) {
        if (name == null || !NAME.matcher(name).matches() || labels.length % 2 != 0) {
            rejected.add(String.valueOf(name));
            return;
        }
        StringBuilder s = new StringBuilder(name);
        if (labels.length > 0) {
            s.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (labels[i] == null || !LABEL.matcher(labels[i]).matches()) {
                    rejected.add(name);
                    return;
                }
                if (i > 0) {
                    s.append(',');
                }
                s.append(labels[i]).append("=\"").append(escape(labels[i + 1], true)).append('"');
            }
            s.append('}');
        }
        s.append(' ').append(format(value));
        families.computeIfAbsent(name, n -> new Family(help == null ? "" : help, type, new ArrayList<>()))
                .samples().add(s.toString());
    }

    /** Names of samples dropped because their name or labels were malformed. */
    List<String> rejected() {
        return rejected;
    }

    String render() {
        StringBuilder b = new StringBuilder(4096);
        families.forEach((name, f) -> {
            b.append("# HELP ").append(name).append(' ').append(escape(f.help(), false)).append('\n');
            b.append("# TYPE ").append(name).append(' ').append(f.type()).append('\n');
            for (String s : f.samples()) {
                b.append(s).append('\n');
            }
        });
        return b.toString();
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static String escape(String s, boolean quotes) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                b.append("\\\\");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '"' && quotes) {
                b.append("\\\"");
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
