package io.ironbell.engine.internal.gotemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Go values as templates see them, in Java: {@code null} is a nil interface (or no value at
 * all), {@link String} a string, {@link Boolean} a bool, {@link Long} an int, {@link Double} a
 * float64, {@link GoNumber} any other numeric type (int64, uint8, ...), {@link List} a
 * {@code []interface {}}, {@link Map} a {@code map[string]interface {}} (its keys sorted when
 * printed or ranged over, as Go's fmtsort does), {@link GoStruct} a struct and {@link GoPointer}
 * a pointer to one.
 */
public final class GoValues {

    private GoValues() {
    }

    /** A number of a Go type other than int and float64: {@code int64}, {@code uint8}, {@code int32}, ... */
    public record GoNumber(String type, long bits, double floatValue) {
        /** An integer of a sized or unsigned type. */
        public static GoNumber integer(String type, long value) {
            return new GoNumber(type, value, 0);
        }

        boolean isFloat() {
            return type.startsWith("float");
        }

        boolean isUnsigned() {
            return type.startsWith("uint");
        }
    }

    /** A struct value: its type's name ({@code v1alpha1.Disk}) and its exported fields in declaration order. */
    public record GoStruct(String type, Map<String, Object> fields) {
        public GoStruct {
            fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }
    }

    /** A pointer ({@code target} null: a nil pointer): to a struct, or to a bool as Tinkerbell's {@code *bool} fields. */
    public record GoPointer(String elemType, Object target) {
    }

    /** A {@code map[string]string} (what Sprig's split makes): a map whose type says so. */
    public static final class StringMap extends LinkedHashMap<String, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A typed slice other than {@code []interface {}} ({@code []string}): the element type's name. */
    public record GoSlice(String elemType, List<Object> items) {
    }

    /** Go's truth: false, 0, a nil pointer or interface, an empty string, slice or map; structs are true. */
    static boolean truth(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0;
        }
        if (v instanceof GoNumber n) {
            return n.isFloat() ? n.floatValue() != 0 : n.bits() != 0;
        }
        if (v instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (v instanceof GoSlice s) {
            return !s.items().isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        if (v instanceof GoPointer p) {
            return p.target() != null;
        }
        return true;
    }

    /** reflect.Type.String() of the value: {@code string}, {@code int}, {@code []interface {}}, ... */
    static String typeName(Object v) {
        if (v == null) {
            return "<nil>";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float64";
        }
        if (v instanceof GoNumber n) {
            return n.type();
        }
        if (v instanceof List<?>) {
            return "[]interface {}";
        }
        if (v instanceof GoSlice s) {
            return "[]" + s.elemType();
        }
        if (v instanceof StringMap) {
            return "map[string]string";
        }
        if (v instanceof Map<?, ?>) {
            return "map[string]interface {}";
        }
        if (v instanceof GoStruct s) {
            return s.type();
        }
        if (v instanceof GoPointer p) {
            return "*" + p.elemType();
        }
        if (v instanceof Function) {
            return "func";
        }
        if (v instanceof GoObject o) {
            return o.typeName();
        }
        return v.getClass().getSimpleName();
    }

    /** The items of a slice value (List or GoSlice), or null when it is not one. */
    static List<?> items(Object v) {
        if (v instanceof List<?> l) {
            return l;
        }
        if (v instanceof GoSlice s) {
            return s.items();
        }
        return null;
    }

    /** A map's entries sorted as Go's fmtsort sorts string keys. */
    static List<Map.Entry<String, Object>> sorted(Map<?, ?> map) {
        List<Map.Entry<String, Object>> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            out.add(Map.entry(String.valueOf(e.getKey()), e.getValue() == null ? NIL : e.getValue()));
        }
        out.sort(Comparator.comparing(Map.Entry::getKey, GoValues::compareStrings));
        List<Map.Entry<String, Object>> restored = new ArrayList<>();
        for (Map.Entry<String, Object> e : out) {
            restored.add(new java.util.AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue() == NIL ? null : e.getValue()));
        }
        return restored;
    }

    private static final Object NIL = new Object();

    /** Go compares strings by their bytes. */
    static int compareStrings(String a, String b) {
        return java.util.Arrays.compareUnsigned(GoBytes.bytes(a), GoBytes.bytes(b));
    }

    /** A Go function a template can call: its signature and its body. */
    public interface Function {
        /** Parameter types: {@code interface {}}, {@code string}, {@code int}, ...; the last one repeats when variadic. */
        List<String> params();

        boolean variadic();

        /** Calls it; a {@link FunctionError} is the function's error result. */
        Object call(List<Object> args);
    }

    /** The error a function returned (its second result). */
    public static final class FunctionError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public FunctionError(String message) {
            super(message, null, false, false);
        }
    }
}
