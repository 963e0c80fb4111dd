package io.ironbell.discovery.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Quamina's patterns (github.com/timbray/quamina, PATTERNS.md), which Tinkerbell's WorkflowRuleSets
 * match against an agent's attributes: a JSON object whose leaves are arrays of what a field may be
 * — a string, number, {@code true}, {@code false} or {@code null}, or {@code {"exists": bool}},
 * {@code {"prefix": s}}, {@code {"wildcard": s}}, {@code {"shellstyle": s}}, {@code
 * {"anything-but": [..]}}, {@code {"equals-ignore-case": s}}, {@code {"regexp": s}} (I-Regexp, with
 * {@code ~} as its escape). Paths pass through arrays, and the fields matched inside one array's
 * objects must come from one element (Quamina's array consistency). Numbers compare by value.
 */
final class Quamina {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;
    private final ObjectNode root;

    private Quamina(String text, ObjectNode root) {
        this.text = text;
        this.root = root;
    }

    /** One field of a pattern: a nested object, or the values a leaf may have. */
    private sealed interface Node permits ObjectNode, Leaf {
    }

    private record ObjectNode(Map<String, Node> fields) implements Node {
    }

    /** @param exists {@code null}, or what an exists pattern wants */
    private record Leaf(List<Predicate<JsonNode>> values, Boolean exists) implements Node {
    }

    /**
     * Reads a pattern.
     *
     * @throws IllegalArgumentException naming what is wrong and where
     */
    static Quamina compile(String pattern) {
        JsonNode tree;
        try {
            tree = JSON.readTree(pattern);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("a pattern is a JSON object");
        }
        return new Quamina(pattern, object(tree, ""));
    }

    String text() {
        return text;
    }

    private static ObjectNode object(JsonNode tree, String path) {
        Map<String, Node> fields = new java.util.LinkedHashMap<>();
        tree.properties().forEach(e -> {
            String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                fields.put(e.getKey(), object(v, at));
            } else if (v.isArray()) {
                fields.put(e.getKey(), leaf(v, at));
            } else {
                throw new IllegalArgumentException(at + ": a pattern's values are in arrays ([" + v + "])");
            }
        });
        return new ObjectNode(fields);
    }

    private static Leaf leaf(JsonNode array, String at) {
        List<Predicate<JsonNode>> values = new ArrayList<>();
        Boolean exists = null;
        for (JsonNode v : array) {
            if (v.isArray()) {
                throw new IllegalArgumentException(at + ": an array inside a pattern's array");
            }
            if (!v.isObject()) {
                values.add(literal(v));
                continue;
            }
            if (v.size() != 1) {
                throw new IllegalArgumentException(at + ": an extended pattern has one field (exists, prefix, wildcard, shellstyle, "
                        + "anything-but, equals-ignore-case, regexp), was " + v);
            }
            String type = v.fieldNames().next();
            JsonNode arg = v.get(type);
            switch (type) {
                case "exists" -> {
                    if (!arg.isBoolean()) {
                        throw new IllegalArgumentException(at + ": exists is true or false, was " + arg);
                    }
                    if (array.size() != 1) {
                        throw new IllegalArgumentException(at + ": a field with an exists pattern has nothing else");
                    }
                    exists = arg.booleanValue();
                }
                case "prefix" -> {
                    String p = string(arg, at, type);
                    values.add(e -> e.isTextual() && e.textValue().startsWith(p));
                }
                case "equals-ignore-case" -> {
                    String p = string(arg, at, type);
                    values.add(e -> e.isTextual() && e.textValue().equalsIgnoreCase(p));
                }
                case "wildcard", "shellstyle" -> {
                    Pattern p = wildcard(string(arg, at, type), type.equals("wildcard"), at);
                    values.add(e -> e.isTextual() && p.matcher(e.textValue()).matches());
                }
                case "anything-but" -> {
                    if (!arg.isArray() || arg.isEmpty()) {
                        throw new IllegalArgumentException(at + ": anything-but is an array of strings, was " + arg);
                    }
                    if (array.size() != 1) {
                        throw new IllegalArgumentException(at + ": a field with an anything-but pattern has nothing else");
                    }
                    List<String> not = new ArrayList<>();
                    arg.forEach(s -> not.add(string(s, at, type)));
                    values.add(e -> e.isTextual() && !not.contains(e.textValue()));
                }
                case "regexp" -> {
                    Pattern p = regexp(string(arg, at, type), at);
                    values.add(e -> e.isTextual() && p.matcher(e.textValue()).matches());
                }
                default -> throw new IllegalArgumentException(at + ": '" + type + "' is not a pattern type (exists, prefix, wildcard, "
                        + "shellstyle, anything-but, equals-ignore-case, regexp)");
            }
        }
        return new Leaf(values, exists);
    }

    private static Predicate<JsonNode> literal(JsonNode v) {
        if (v.isNumber()) {
            java.math.BigDecimal n = v.decimalValue();
            return e -> e.isNumber() && e.decimalValue().compareTo(n) == 0;
        }
        return e -> e.equals(v);
    }

    private static String string(JsonNode arg, String at, String type) {
        if (!arg.isTextual()) {
            throw new IllegalArgumentException(at + ": " + type + " takes a string, was " + arg);
        }
        return arg.textValue();
    }

    /** {@code *} for any run of characters; wildcard's {@code \*} and {@code \\} are the characters themselves. */
    private static Pattern wildcard(String w, boolean escapes, String at) {
        StringBuilder re = new StringBuilder();
        StringBuilder lit = new StringBuilder();
        char prev = 0;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            if (escapes && c == '\\') {
                if (i + 1 >= w.length() || (w.charAt(i + 1) != '*' && w.charAt(i + 1) != '\\')) {
                    throw new IllegalArgumentException(at + ": in a wildcard, '\\' escapes only '*' and '\\' ('" + w + "')");
                }
                lit.append(w.charAt(++i));
                prev = 0;
                continue;
            }
            if (c == '*') {
                if (prev == '*') {
                    throw new IllegalArgumentException(at + ": adjacent '*' in '" + w + "'");
                }
                re.append(Pattern.quote(lit.toString())).append(".*");
                lit.setLength(0);
            } else {
                lit.append(c);
            }
            prev = c;
        }
        re.append(Pattern.quote(lit.toString()));
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** An I-Regexp (RFC 9485) with Quamina's {@code ~} for the backslash; it matches the whole value. */
    private static Pattern regexp(String r, String at) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c == '~') {
                if (i + 1 >= r.length()) {
                    throw new IllegalArgumentException(at + ": a regexp may not end in '~' ('" + r + "')");
                }
                re.append('\\').append(r.charAt(++i));
            } else if (c == '\\') {
                re.append("\\\\");
            } else {
                re.append(c);
            }
        }
        try {
            return Pattern.compile(re.toString(), Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(at + ": regexp '" + r + "': " + e.getDescription());
        }
    }

    /** Whether the event (an object) matches. */
    boolean matches(JsonNode event) {
        return matchObject(root, event);
    }

    private static boolean matchObject(ObjectNode pattern, JsonNode event) {
        if (event.isArray()) {
            if (event.isEmpty()) {
                return absentIsEnough(pattern); // no element holds a field
            }
            // one element must carry every field of this object: no cross-talk between elements
            for (JsonNode e : event) {
                if (matchObject(pattern, e)) {
                    return true;
                }
            }
            return false;
        }
        for (Map.Entry<String, Node> f : pattern.fields().entrySet()) {
            JsonNode value = event.isObject() ? event.get(f.getKey()) : null;
            if (!matchField(f.getValue(), value)) {
                return false;
            }
        }
        return true;
    }

    private static boolean absentIsEnough(Node n) {
        return n instanceof Leaf l ? Boolean.FALSE.equals(l.exists())
                : ((ObjectNode) n).fields().values().stream().allMatch(Quamina::absentIsEnough);
    }

    private static boolean matchField(Node pattern, JsonNode value) {
        if (pattern instanceof ObjectNode o) {
            if (value == null || value.isNull() || !(value.isObject() || value.isArray())) {
                return absentIsEnough(o);
            }
            return matchObject(o, value);
        }
        Leaf leaf = (Leaf) pattern;
        List<JsonNode> leaves = new ArrayList<>();
        collectLeaves(value, leaves);
        if (leaf.exists() != null) {
            return leaf.exists() != leaves.isEmpty();
        }
        for (JsonNode v : leaves) {
            for (Predicate<JsonNode> p : leaf.values()) {
                if (p.test(v)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A field's leaf values: itself, or every leaf of its arrays (objects are not leaves). */
    private static void collectLeaves(JsonNode value, List<JsonNode> out) {
        if (value == null || value.isMissingNode() || value.isObject()) {
            return;
        }
        if (value.isArray()) {
            value.forEach(v -> collectLeaves(v, out));
            return;
        }
        out.add(value);
    }

    @Override
    public String toString() {
        return text;
    }
}
