package io.ironbell.engine.internal.template;

import io.ironbell.api.template.TemplateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The subset of Go's text/template that workflow templates use, with Go's syntax:
 * <ul>
 * <li>field paths: {@code {{.device_1}}}, {@code {{ .Hardware.Metadata.instance.hostname }}}
 * (a key is matched exactly, else ignoring case);</li>
 * <li>{@code index}: {@code {{ index .Hardware.Disks 0 }}}, {@code {{ (index .Hardware.Interfaces 0).DHCP.MAC }}},
 * with integer or string keys, several at once as in Go;</li>
 * <li>parentheses, string and integer literals, comments, and the whitespace-trimming
 * markers ("{{-" and "-}}").</li>
 * </ul>
 * A missing key is an error naming the line and the path, as Go's {@code missingkey=error}.
 * Anything else ({@code if}, {@code range}, pipes, other functions) is refused with its line
 * rather than rendered wrongly. Lists and maps render as JSON.
 */
public final class GoTemplate {

    /** A value that answers every path: used to check a template before there is hardware. */
    public static final Object ANYTHING = new Object() {
        @Override
        public String toString() {
            return "placeholder";
        }
    };

    private sealed interface Part permits Text, Action {
    }

    private record Text(String text) implements Part {
    }

    private record Action(Expr expr, int line, String source) implements Part {
    }

    private sealed interface Expr permits Field, Index, Literal, Chain {
    }

    /** {@code .a.b.c} applied to the root. */
    private record Field(List<String> path) implements Expr {
    }

    /** {@code index X k1 k2 ...}. */
    private record Index(Expr target, List<Expr> keys) implements Expr {
    }

    private record Literal(Object value) implements Expr {
    }

    /** {@code (expr).a.b}. */
    private record Chain(Expr base, List<String> path) implements Expr {
    }

    private final List<Part> parts;

    private GoTemplate(List<Part> parts) {
        this.parts = parts;
    }

    /**
     * Parses a template's text.
     *
     * @throws TemplateException with the line of the first malformed or unsupported action
     */
    public static GoTemplate parse(String text) throws TemplateException {
        List<Part> parts = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("{{", i);
            if (open < 0) {
                pending.append(text, i, text.length());
                break;
            }
            int line = lineOf(text, open);
            int close = text.indexOf("}}", open + 2);
            if (close < 0) {
                throw new TemplateException(line, null, "unclosed '{{'");
            }
            String before = text.substring(i, open);
            String inner = text.substring(open + 2, close);
            boolean trimLeft = inner.startsWith("-") && (inner.length() == 1 || Character.isWhitespace(inner.charAt(1)));
            boolean trimRight = inner.endsWith("-") && inner.length() > 1 && Character.isWhitespace(inner.charAt(inner.length() - 2));
            if (trimLeft) {
                inner = inner.substring(1);
                before = before.stripTrailing();
            }
            if (trimRight) {
                inner = inner.substring(0, inner.length() - 1);
            }
            pending.append(before);
            i = close + 2;
            if (trimRight) {
                while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
            }
            String body = inner.trim();
            if (body.startsWith("/*")) {
                if (!body.endsWith("*/")) {
                    throw new TemplateException(line, null, "unclosed comment");
                }
                continue;
            }
            if (pending.length() > 0) {
                parts.add(new Text(pending.toString()));
                pending.setLength(0);
            }
            parts.add(new Action(new ExprParser(body, line).parseAll(), line, body));
        }
        if (pending.length() > 0) {
            parts.add(new Text(pending.toString()));
        }
        return new GoTemplate(List.copyOf(parts));
    }

    /**
     * Renders with {@code data} as the root ({@code .}).
     *
     * @throws TemplateException for a missing key or a bad index, with its line
     */
    public String render(Map<String, ?> data) throws TemplateException {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Text t) {
                out.append(t.text());
            } else {
                Action a = (Action) p;
                out.append(format(eval(a.expr(), data, a)));
            }
        }
        return out.toString();
    }

    private static Object eval(Expr e, Object root, Action at) throws TemplateException {
        if (e instanceof Literal l) {
            return l.value();
        }
        if (e instanceof Field f) {
            return walk(root, f.path(), at, "");
        }
        if (e instanceof Chain c) {
            return walk(eval(c.base(), root, at), c.path(), at, "(...)");
        }
        Index x = (Index) e;
        Object v = eval(x.target(), root, at);
        for (Expr k : x.keys()) {
            Object key = eval(k, root, at);
            v = index(v, key, at);
        }
        return v;
    }

    private static Object walk(Object v, List<String> path, Action at, String prefix) throws TemplateException {
        StringBuilder seen = new StringBuilder(prefix);
        for (String name : path) {
            seen.append('.').append(name);
            if (v == ANYTHING) {
                return ANYTHING;
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: " + seen
                        + ": cannot take field '" + name + "' of " + kind(v));
            }
            Object next = m.get(name);
            if (next == null && !m.containsKey(name)) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (String.valueOf(e.getKey()).equalsIgnoreCase(name)) {
                        next = e.getValue();
                        break;
                    }
                }
            }
            if (next == null) {
                throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: map has no entry for key \""
                        + seen.substring(seen.indexOf(".") + 1) + "\"");
            }
            v = next;
        }
        return v;
    }

    private static Object index(Object v, Object key, Action at) throws TemplateException {
        if (v == ANYTHING) {
            return ANYTHING;
        }
        if (v instanceof List<?> list) {
            if (!(key instanceof Long n) && key != ANYTHING) {
                throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: a list index must be an integer");
            }
            if (key == ANYTHING) {
                return ANYTHING;
            }
            long n = (Long) key;
            if (n < 0 || n >= list.size()) {
                throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: index " + n + " out of range (length "
                        + list.size() + ")");
            }
            return list.get((int) n);
        }
        if (v instanceof Map<?, ?> m) {
            Object r = m.get(String.valueOf(key));
            if (r == null) {
                throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: map has no entry for key \"" + key + "\"");
            }
            return r;
        }
        throw new TemplateException(at.line(), null, "in {{" + at.source() + "}}: cannot index " + kind(v));
    }

    private static String kind(Object v) {
        return v == null ? "nothing" : v instanceof List ? "a list" : v instanceof String ? "a string"
                : v instanceof Number ? "a number" : v instanceof Boolean ? "a boolean" : "a value";
    }

    private static String format(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof List<?> || v instanceof Map<?, ?>) {
            try {
                return io.ironbell.api.json.Json.mapper().writeValueAsString(v);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return String.valueOf(v);
            }
        }
        return String.valueOf(v);
    }

    static int lineOf(String text, int offset) {
        int line = 1;
        for (int k = 0; k < offset; k++) {
            if (text.charAt(k) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** A small recursive-descent parser for one action's expression. */
    private static final class ExprParser {
        private final String s;
        private final int line;
        private int p;

        ExprParser(String s, int line) {
            this.s = s;
            this.line = line;
        }

        Expr parseAll() throws TemplateException {
            if (s.isEmpty()) {
                throw new TemplateException(line, null, "empty action {{}}");
            }
            Expr e = command();
            skip();
            if (p < s.length()) {
                if (s.charAt(p) == '|') {
                    throw unsupported("pipelines ('|')");
                }
                throw new TemplateException(line, null, "in {{" + s + "}}: unexpected '" + s.substring(p) + "'");
            }
            return e;
        }

        /** A command: {@code index a b...} or a single operand. */
        private Expr command() throws TemplateException {
            skip();
            if (startsWord("index")) {
                p += 5;
                Expr target = operand();
                List<Expr> keys = new ArrayList<>();
                skip();
                while (p < s.length() && s.charAt(p) != ')' && s.charAt(p) != '|') {
                    keys.add(operand());
                    skip();
                }
                if (keys.isEmpty()) {
                    throw new TemplateException(line, null, "in {{" + s + "}}: index needs a key");
                }
                return new Index(target, keys);
            }
            return operand();
        }

        private Expr operand() throws TemplateException {
            skip();
            if (p >= s.length()) {
                throw new TemplateException(line, null, "in {{" + s + "}}: an operand is missing");
            }
            char c = s.charAt(p);
            Expr base;
            if (c == '(') {
                p++;
                base = command();
                skip();
                if (p >= s.length() || s.charAt(p) != ')') {
                    throw new TemplateException(line, null, "in {{" + s + "}}: missing ')'");
                }
                p++;
                List<String> path = path();
                return path.isEmpty() ? base : new Chain(base, path);
            }
            if (c == '.') {
                List<String> path = path();
                return new Field(path);
            }
            if (c == '"' || c == '`') {
                return new Literal(string(c));
            }
            if (c == '-' || Character.isDigit(c)) {
                int start = p;
                p++;
                while (p < s.length() && Character.isDigit(s.charAt(p))) {
                    p++;
                }
                try {
                    return new Literal(Long.parseLong(s.substring(start, p)));
                } catch (NumberFormatException e) {
                    throw new TemplateException(line, null, "in {{" + s + "}}: malformed number");
                }
            }
            int start = p;
            while (p < s.length() && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '_')) {
                p++;
            }
            String word = s.substring(start, p);
            if (word.isEmpty()) {
                throw new TemplateException(line, null, "in {{" + s + "}}: unexpected '" + c + "'");
            }
            throw unsupported("'" + word + "'");
        }

        private List<String> path() throws TemplateException {
            List<String> path = new ArrayList<>();
            while (p < s.length() && s.charAt(p) == '.') {
                p++;
                int start = p;
                while (p < s.length() && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '_')) {
                    p++;
                }
                if (p == start) {
                    if (path.isEmpty() && (p >= s.length() || Character.isWhitespace(s.charAt(p)) || s.charAt(p) == ')')) {
                        throw unsupported("'.' on its own");
                    }
                    throw new TemplateException(line, null, "in {{" + s + "}}: malformed field name");
                }
                path.add(s.substring(start, p));
            }
            return path;
        }

        private String string(char quote) throws TemplateException {
            StringBuilder b = new StringBuilder();
            p++;
            while (p < s.length() && s.charAt(p) != quote) {
                char c = s.charAt(p++);
                if (c == '\\' && quote == '"' && p < s.length()) {
                    char n = s.charAt(p++);
                    b.append(switch (n) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        default -> n;
                    });
                } else {
                    b.append(c);
                }
            }
            if (p >= s.length()) {
                throw new TemplateException(line, null, "in {{" + s + "}}: unterminated string");
            }
            p++;
            return b.toString();
        }

        private boolean startsWord(String w) {
            return s.startsWith(w, p) && (p + w.length() == s.length() || Character.isWhitespace(s.charAt(p + w.length())));
        }

        private void skip() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
                p++;
            }
        }

        private TemplateException unsupported(String what) {
            return new TemplateException(line, null, "in {{" + s + "}}: " + what
                    + " is not supported; Ironbell renders field paths, index, parentheses and literals");
        }
    }
}
