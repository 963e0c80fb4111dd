package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoSlice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Go's text/template builtin functions (funcs.go), with Go's argument types and errors. */
final class Builtins {

    private Builtins() {
    }

    private static final String V = "reflect.Value";
    private static final String ANY = "interface {}";

    /** A function with its Go signature. */
    record Fn(List<String> params, boolean variadic, java.util.function.Function<List<Object>, Object> body) implements Function {
        @Override
        public Object call(List<Object> args) {
            return body.apply(args);
        }
    }

    /** {@code and} and {@code or}: evaluated by the executor, short-circuiting. */
    record Logic(boolean isOr) implements Function {
        @Override
        public List<String> params() {
            return List.of(V, V);
        }

        @Override
        public boolean variadic() {
            return true;
        }

        @Override
        public Object call(List<Object> args) {
            throw new IllegalStateException("unreachable");
        }
    }

    static final Map<String, Function> FUNCTIONS;

    static {
        Map<String, Function> m = new HashMap<>();
        m.put("and", new Logic(false));
        m.put("or", new Logic(true));
        m.put("not", new Fn(List.of(V), false, a -> !truth(a.get(0))));
        m.put("len", new Fn(List.of(V), false, a -> length(a.get(0))));
        m.put("index", new Fn(List.of(V, V), true, a -> index(a.get(0), a.subList(1, a.size()))));
        m.put("slice", new Fn(List.of(V, V), true, a -> slice(a.get(0), a.subList(1, a.size()))));
        m.put("print", new Fn(List.of(ANY), true, GoFmt::sprint));
        m.put("println", new Fn(List.of(ANY), true, GoFmt::sprintln));
        m.put("printf", new Fn(List.of("string", ANY), true, a -> GoFmt.sprintf((String) a.get(0), a.subList(1, a.size()))));
        m.put("html", new Fn(List.of(ANY), true, a -> htmlEscape(evalArgs(a))));
        m.put("js", new Fn(List.of(ANY), true, a -> jsEscape(evalArgs(a))));
        m.put("urlquery", new Fn(List.of(ANY), true, a -> queryEscape(evalArgs(a))));
        m.put("call", new Fn(List.of(V, V), true, a -> call(a.get(0), a.subList(1, a.size()))));
        m.put("eq", new Fn(List.of(V, V), true, a -> eq(a.get(0), a.subList(1, a.size()))));
        m.put("ne", new Fn(List.of(V, V), false, a -> !eq(a.get(0), a.subList(1, 2))));
        m.put("lt", new Fn(List.of(V, V), false, a -> lt(a.get(0), a.get(1))));
        m.put("le", new Fn(List.of(V, V), false, a -> lt(a.get(0), a.get(1)) || eq(a.get(0), a.subList(1, 2))));
        m.put("gt", new Fn(List.of(V, V), false, a -> !(lt(a.get(0), a.get(1)) || eq(a.get(0), a.subList(1, 2)))));
        m.put("ge", new Fn(List.of(V, V), false, a -> !lt(a.get(0), a.get(1))));
        FUNCTIONS = Map.copyOf(m);
    }

    private static boolean invalid(Object v) {
        return v == null || v == Exec.NO_VALUE;
    }

    static boolean truth(Object v) {
        return !invalid(v) && GoValues.truth(v);
    }

    private static Object length(Object item) {
        if (item instanceof GoPointer p) {
            if (p.target() == null) {
                throw new FunctionError("len of nil pointer");
            }
            item = p.target();
        }
        if (item instanceof String s) {
            return (long) GoBytes.length(s);
        }
        if (GoValues.items(item) != null) {
            return (long) GoValues.items(item).size();
        }
        if (item instanceof Map<?, ?> m) {
            return (long) m.size();
        }
        if (invalid(item)) {
            throw new FunctionError("reflect: call of reflect.Value.Type on zero Value");
        }
        throw new FunctionError("len of type " + GoValues.typeName(item));
    }

    private static int indexArg(Object index, int cap) {
        long x;
        if (index instanceof Long l) {
            x = l;
        } else if (index instanceof GoNumber n && !n.isFloat()) {
            x = n.bits();
        } else if (invalid(index)) {
            throw new FunctionError("cannot index slice/array with nil");
        } else {
            throw new FunctionError("cannot index slice/array with type " + GoValues.typeName(index));
        }
        if (x < 0 || x > cap) {
            throw new FunctionError("index out of range: " + x);
        }
        return (int) x;
    }

    private static Object index(Object item, List<Object> indexes) {
        if (invalid(item)) {
            throw new FunctionError("index of untyped nil");
        }
        for (Object index : indexes) {
            if (item instanceof GoPointer p) {
                if (p.target() == null) {
                    throw new FunctionError("index of nil pointer");
                }
                item = p.target();
            }
            if (item == null) {
                throw new FunctionError("index of nil pointer");
            }
            if (item instanceof String s) {
                byte[] b = GoBytes.bytes(s);
                int x = indexArg(index, b.length);
                if (x == b.length) {
                    throw new FunctionError("reflect: string index out of range");
                }
                item = GoNumber.integer("uint8", b[x] & 0xff);
            } else if (GoValues.items(item) != null) {
                List<?> items = GoValues.items(item);
                int x = indexArg(index, items.size());
                if (x == items.size()) {
                    throw new FunctionError("reflect: slice index out of range");
                }
                item = items.get(x);
            } else if (item instanceof Map<?, ?> m) {
                if (invalid(index)) {
                    throw new FunctionError("value is nil; should be of type string");
                } else if (!(index instanceof String)) {
                    throw new FunctionError("value has type " + GoValues.typeName(index) + "; should be string");
                } else {
                    item = m.get(index);
                }
            } else {
                throw new FunctionError("can't index item of type " + GoValues.typeName(item));
            }
        }
        return item;
    }

    private static Object slice(Object item, List<Object> indexes) {
        if (invalid(item)) {
            throw new FunctionError("slice of untyped nil");
        }
        if (indexes.size() > 3) {
            throw new FunctionError("too many slice indexes: " + indexes.size());
        }
        int cap;
        int len;
        if (item instanceof String s) {
            if (indexes.size() == 3) {
                throw new FunctionError("cannot 3-index slice a string");
            }
            cap = len = GoBytes.length(s);
        } else if (GoValues.items(item) != null) {
            cap = len = GoValues.items(item).size();
        } else {
            throw new FunctionError("can't slice item of type " + GoValues.typeName(item));
        }
        int[] idx = {0, len, 0};
        for (int i = 0; i < indexes.size(); i++) {
            idx[i] = indexArg(indexes.get(i), cap);
        }
        if (idx[0] > idx[1]) {
            throw new FunctionError("invalid slice index: " + idx[0] + " > " + idx[1]);
        }
        if (indexes.size() == 3 && idx[1] > idx[2]) {
            throw new FunctionError("invalid slice index: " + idx[1] + " > " + idx[2]);
        }
        if (item instanceof String s) {
            return GoBytes.slice(s, idx[0], idx[1]);
        }
        List<Object> out = new ArrayList<>(GoValues.items(item).subList(idx[0], idx[1]));
        return item instanceof GoSlice gs ? new GoSlice(gs.elemType(), out) : out;
    }

    private static Object call(Object fn, List<Object> args) {
        if (invalid(fn)) {
            throw new FunctionError("call of nil");
        }
        if (!(fn instanceof Function f)) {
            throw new FunctionError("non-function of type " + GoValues.typeName(fn));
        }
        List<Object> argv = new ArrayList<>();
        for (Object a : args) {
            argv.add(a == Exec.NO_VALUE ? null : a);
        }
        return f.call(argv);
    }

    private enum Kind { INVALID, BOOL, INT, FLOAT, STRING, UINT }

    private static Kind basicKind(Object v) {
        if (v instanceof Boolean) {
            return Kind.BOOL;
        }
        if (v instanceof Long) {
            return Kind.INT;
        }
        if (v instanceof Double) {
            return Kind.FLOAT;
        }
        if (v instanceof String) {
            return Kind.STRING;
        }
        if (v instanceof GoNumber n) {
            return n.isFloat() ? Kind.FLOAT : n.isUnsigned() ? Kind.UINT : Kind.INT;
        }
        return Kind.INVALID;
    }

    private static long intOf(Object v) {
        return v instanceof Long l ? l : ((GoNumber) v).bits();
    }

    private static double floatOf(Object v) {
        return v instanceof Double d ? d : ((GoNumber) v).floatValue();
    }

    private static boolean eq(Object arg1, List<Object> arg2) {
        if (arg2.isEmpty()) {
            throw new FunctionError("missing argument for comparison");
        }
        Kind k1 = basicKind(arg1);
        for (Object arg : arg2) {
            Kind k2 = basicKind(arg);
            boolean truth = false;
            if (k1 != k2) {
                if (k1 == Kind.INT && k2 == Kind.UINT) {
                    truth = intOf(arg1) >= 0 && intOf(arg1) == intOf(arg);
                } else if (k1 == Kind.UINT && k2 == Kind.INT) {
                    truth = intOf(arg) >= 0 && intOf(arg1) == intOf(arg);
                } else if (!invalid(arg1) && !invalid(arg)) {
                    throw new FunctionError("incompatible types for comparison");
                }
            } else {
                switch (k1) {
                    case BOOL -> truth = arg1.equals(arg);
                    case FLOAT -> truth = floatOf(arg1) == floatOf(arg);
                    case INT, UINT -> truth = intOf(arg1) == intOf(arg);
                    case STRING -> truth = arg1.equals(arg);
                    default -> {
                        if (invalid(arg1) || invalid(arg) || isNil(arg1) || isNil(arg)) {
                            truth = (invalid(arg) || isNil(arg)) == (invalid(arg1) || isNil(arg1));
                        } else if (arg instanceof Map<?, ?> || GoValues.items(arg) != null || arg instanceof Function) {
                            throw new FunctionError("non-comparable type " + GoFmt.print(arg) + ": " + GoValues.typeName(arg));
                        } else {
                            truth = GoValues.typeName(arg1).equals(GoValues.typeName(arg)) && Objects.equals(arg1, arg);
                        }
                    }
                }
            }
            if (truth) {
                return true;
            }
        }
        return false;
    }

    private static boolean isNil(Object v) {
        return v instanceof GoPointer p && p.target() == null;
    }

    private static boolean lt(Object arg1, Object arg2) {
        Kind k1 = basicKind(arg1);
        if (k1 == Kind.INVALID) {
            throw new FunctionError("invalid type for comparison");
        }
        Kind k2 = basicKind(arg2);
        if (k2 == Kind.INVALID) {
            throw new FunctionError("invalid type for comparison");
        }
        if (k1 != k2) {
            if (k1 == Kind.INT && k2 == Kind.UINT) {
                return intOf(arg1) < 0 || Long.compareUnsigned(intOf(arg1), intOf(arg2)) < 0;
            } else if (k1 == Kind.UINT && k2 == Kind.INT) {
                return intOf(arg2) >= 0 && Long.compareUnsigned(intOf(arg1), intOf(arg2)) < 0;
            }
            throw new FunctionError("incompatible types for comparison");
        }
        return switch (k1) {
            case BOOL -> throw new FunctionError("invalid type for comparison");
            case FLOAT -> floatOf(arg1) < floatOf(arg2);
            case INT -> intOf(arg1) < intOf(arg2);
            case UINT -> Long.compareUnsigned(intOf(arg1), intOf(arg2)) < 0;
            case STRING -> GoValues.compareStrings((String) arg1, (String) arg2) < 0;
            default -> throw new FunctionError("invalid type for comparison");
        };
    }

    /** The arguments of html, js and urlquery as one string (Go's evalArgs). */
    private static String evalArgs(List<Object> args) {
        if (args.size() == 1 && args.get(0) instanceof String s) {
            return s;
        }
        List<Object> printable = new ArrayList<>();
        for (Object a : args) {
            if (a == null) {
                printable.add("<no value>");
            } else if (a instanceof GoPointer p && p.target() != null) {
                printable.add(p.target());
            } else {
                printable.add(a);
            }
        }
        return GoFmt.sprint(printable);
    }

    static String htmlEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case 0 -> b.append('\uFFFD');
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String jsEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length();) {
            if (GoBytes.isRawByte(s, i)) {
                // Go decodes it as U+FFFD, which is printable, and writes the byte as it was
                b.append(s.charAt(i++));
                continue;
            }
            int r = s.codePointAt(i);
            i += Character.charCount(r);
            switch (r) {
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                case '"' -> b.append("\\\"");
                case '<' -> b.append("\\u003C");
                case '>' -> b.append("\\u003E");
                case '&' -> b.append("\\u0026");
                case '=' -> b.append("\\u003D");
                default -> {
                    if (r < ' ') {
                        b.append(String.format("\\u00%02X", r));
                    } else if (r < 0x80 || GoFmt.isPrint(r)) {
                        b.appendCodePoint(r);
                    } else {
                        b.append(String.format("\\u%04X", r));
                    }
                }
            }
        }
        return b.toString();
    }

    static String queryEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : GoBytes.bytes(s)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
                b.append((char) c);
            } else if (c == ' ') {
                b.append('+');
            } else {
                b.append('%').append("0123456789ABCDEF".charAt(c >> 4)).append("0123456789ABCDEF".charAt(c & 15));
            }
        }
        return b.toString();
    }
}
