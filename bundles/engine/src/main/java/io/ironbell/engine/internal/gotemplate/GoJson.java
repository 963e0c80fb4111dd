package io.ironbell.engine.internal.gotemplate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Go's encoding/json for template values: Marshal (sorted keys, Go's float and string forms) and Unmarshal into interface {}. */
final class GoJson {

    private GoJson() {
    }

    private static final JsonFactory FACTORY = new JsonFactory();

    /** What Go's Marshal reports as UnsupportedTypeError or UnsupportedValueError (a function, NaN, an infinity). */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    /** Marshal (or MarshalIndent with {@code indent}); "" where Go's Marshal fails (NaN, infinities, functions). */
    static String marshal(Object v, boolean escapeHtml, String indent) {
        StringBuilder b = new StringBuilder();
        try {
            write(b, v, escapeHtml, indent, 0);
        } catch (Unsupported unsupported) {
            return "";
        }
        return b.toString();
    }

    private static void newline(StringBuilder b, String indent, int depth) {
        if (indent != null) {
            b.append('\n');
            b.append(indent.repeat(depth));
        }
    }

    private static void write(StringBuilder b, Object v, boolean html, String indent, int depth) {
        if (v == null || v == Exec.NO_VALUE) {
            b.append("null");
        } else if (v instanceof Boolean x) {
            b.append(x);
        } else if (v instanceof Long x) {
            b.append(x);
        } else if (v instanceof Double x) {
            b.append(floatText(x));
        } else if (v instanceof GoNumber n) {
            b.append(n.isFloat() ? floatText(n.floatValue()) : n.isUnsigned() ? Long.toUnsignedString(n.bits()) : Long.toString(n.bits()));
        } else if (v instanceof String s) {
            string(b, s, html);
        } else if (v instanceof Map<?, ?> m) {
            object(b, GoValues.sorted(m), html, indent, depth);
        } else if (GoValues.items(v) != null) {
            List<?> items = GoValues.items(v);
            if (items.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                newline(b, indent, depth + 1);
                write(b, items.get(i), html, indent, depth + 1);
            }
            newline(b, indent, depth);
            b.append(']');
        } else if (v instanceof GoStruct s) {
            object(b, new ArrayList<>(s.fields().entrySet()), html, indent, depth);
        } else if (v instanceof GoPointer p) {
            write(b, p.target(), html, indent, depth);
        } else if (v instanceof GoObject o) {
            try {
                b.append(o.json());
            } catch (GoValues.FunctionError e) {
                throw new Unsupported("json: error calling MarshalJSON for type " + o.typeName() + ": " + e.getMessage());
            }
        } else {
            throw new Unsupported("json: unsupported type " + GoValues.typeName(v));
        }
    }

    private static void object(StringBuilder b, List<Map.Entry<String, Object>> entries, boolean html, String indent, int depth) {
        if (entries.isEmpty()) {
            b.append("{}");
            return;
        }
        b.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : entries) {
            if (!first) {
                b.append(',');
            }
            first = false;
            newline(b, indent, depth + 1);
            string(b, e.getKey(), html);
            b.append(indent != null ? ": " : ":");
            write(b, e.getValue(), html, indent, depth + 1);
        }
        newline(b, indent, depth);
        b.append('}');
    }

    /** encoding/json's float form: shortest, exponent only below 1e-6 or from 1e21, "e-07" written "e-7". */
    static String floatText(double f) {
        if (Double.isNaN(f) || Double.isInfinite(f)) {
            throw new Unsupported("json: unsupported value");
        }
        double abs = Math.abs(f);
        char fmt = 'f';
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
            fmt = 'e';
        }
        String s = GoFmt.formatFloat(f, fmt, -1, 64);
        if (fmt == 'e') {
            int n = s.length();
            if (n >= 4 && s.charAt(n - 4) == 'e' && s.charAt(n - 3) == '-' && s.charAt(n - 2) == '0') {
                s = s.substring(0, n - 2) + s.charAt(n - 1);
            }
        }
        return s;
    }

    private static void string(StringBuilder b, String s, boolean html) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (GoBytes.isRawByte(s, i)) {
                b.append("\\ufffd");
                continue;
            }
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\u2028' -> b.append("\\u2028");
                case '\u2029' -> b.append("\\u2029");
                default -> {
                    if (c < 0x20 || html && (c == '<' || c == '>' || c == '&')) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Unmarshal into interface {}: objects as maps, arrays as lists, numbers as float64; nil when it is not JSON. */
    static Object unmarshal(String s) {
        try (JsonParser p = FACTORY.createParser(s)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            Object v = read(p, t);
            if (p.nextToken() != null) {
                return null;
            }
            return v;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    m.put(k, read(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(read(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT:
                return Double.parseDouble(p.getText());
            case VALUE_TRUE:
                return true;
            case VALUE_FALSE:
                return false;
            case VALUE_NULL:
                return null;
            default:
                throw new IOException("unexpected " + t);
        }
    }
}
