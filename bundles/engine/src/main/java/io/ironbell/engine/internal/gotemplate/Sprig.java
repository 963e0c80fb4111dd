package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoSlice;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sprig's functions as Tinkerbell's controller offers them: all of Sprig 3.2.3's hermetic map (no
 * environment, no DNS, no date from the clock's own functions — yet its random, key-generating and
 * {@code ago} functions, which that map lists), with Sprig's signatures, its conversions (spf13's
 * cast) and its errors.
 */
final class Sprig {

    private Sprig() {
    }

    private static final String ANY = "interface {}";
    private static final String S = "string";
    private static final String I = "int";
    private static final String MAP = "map[string]interface {}";

    /** The functions, by name. */
    static final Map<String, Function> FUNCTIONS;

    private static Fn fn(List<String> params, java.util.function.Function<List<Object>, Object> body) {
        return new Fn(params, false, body);
    }

    private static Fn variadic(List<String> params, java.util.function.Function<List<Object>, Object> body) {
        return new Fn(params, true, body);
    }

    static {
        Map<String, Function> m = new HashMap<>();
        m.put("hello", fn(List.of(), a -> "Hello!"));
        // strings
        m.put("trim", fn(List.of(S), a -> trimSpace(str(a, 0))));
        m.put("upper", fn(List.of(S), a -> mapCodePoints(str(a, 0), Character::toUpperCase)));
        m.put("lower", fn(List.of(S), a -> mapCodePoints(str(a, 0), Character::toLowerCase)));
        m.put("title", fn(List.of(S), a -> title(str(a, 0))));
        m.put("untitle", fn(List.of(S), a -> untitle(str(a, 0))));
        m.put("substr", fn(List.of(I, I, S), a -> substr(intArg(a, 0), intArg(a, 1), str(a, 2))));
        m.put("repeat", fn(List.of(I, S), a -> repeat(intArg(a, 0), str(a, 1))));
        m.put("trimall", fn(List.of(S, S), a -> trimCutset(str(a, 1), str(a, 0))));
        m.put("trimAll", m.get("trimall"));
        m.put("trimSuffix", fn(List.of(S, S), a -> str(a, 1).endsWith(str(a, 0)) ? str(a, 1).substring(0, str(a, 1).length() - str(a, 0).length())
                : str(a, 1)));
        m.put("trimPrefix", fn(List.of(S, S), a -> str(a, 1).startsWith(str(a, 0)) ? str(a, 1).substring(str(a, 0).length()) : str(a, 1)));
        m.put("nospace", fn(List.of(S), a -> nospace(str(a, 0))));
        m.put("trunc", fn(List.of(I, S), a -> trunc(intArg(a, 0), str(a, 1))));
        m.put("contains", fn(List.of(S, S), a -> str(a, 1).contains(str(a, 0))));
        m.put("hasPrefix", fn(List.of(S, S), a -> str(a, 1).startsWith(str(a, 0))));
        m.put("hasSuffix", fn(List.of(S, S), a -> str(a, 1).endsWith(str(a, 0))));
        m.put("quote", variadic(List.of(ANY), Sprig::quote));
        m.put("squote", variadic(List.of(ANY), Sprig::squote));
        m.put("cat", variadic(List.of(ANY), Sprig::cat));
        m.put("indent", fn(List.of(I, S), a -> indent(intArg(a, 0), str(a, 1))));
        m.put("nindent", fn(List.of(I, S), a -> "\n" + indent(intArg(a, 0), str(a, 1))));
        m.put("replace", fn(List.of(S, S, S), a -> str(a, 2).replace(str(a, 0), str(a, 1))));
        m.put("plural", fn(List.of(S, S, I), a -> intArg(a, 2) == 1 ? str(a, 0) : str(a, 1)));
        m.put("toString", fn(List.of(ANY), a -> strval(a.get(0))));
        m.put("b64enc", fn(List.of(S), a -> Base64.getEncoder().encodeToString(utf8(str(a, 0)))));
        m.put("b64dec", fn(List.of(S), a -> b64dec(str(a, 0))));
        m.put("sha1sum", fn(List.of(S), a -> digest("SHA-1", str(a, 0))));
        m.put("sha256sum", fn(List.of(S), a -> digest("SHA-256", str(a, 0))));
        m.put("adler32sum", fn(List.of(S), a -> adler32(str(a, 0))));
        // conversions and numbers
        m.put("atoi", fn(List.of(S), a -> atoi(str(a, 0))));
        m.put("int", fn(List.of(ANY), a -> toInt64(a.get(0))));
        m.put("int64", fn(List.of(ANY), a -> int64(toInt64(a.get(0)))));
        m.put("float64", fn(List.of(ANY), a -> toFloat64(a.get(0))));
        m.put("add1", fn(List.of(ANY), a -> int64(toInt64(a.get(0)) + 1)));
        m.put("add", variadic(List.of(ANY), a -> int64(a.stream().mapToLong(Sprig::toInt64).sum())));
        m.put("sub", fn(List.of(ANY, ANY), a -> int64(toInt64(a.get(0)) - toInt64(a.get(1)))));
        m.put("div", fn(List.of(ANY, ANY), a -> int64(divide(toInt64(a.get(0)), toInt64(a.get(1)), false))));
        m.put("mod", fn(List.of(ANY, ANY), a -> int64(divide(toInt64(a.get(0)), toInt64(a.get(1)), true))));
        m.put("mul", variadic(List.of(ANY, ANY), a -> {
            long v = toInt64(a.get(0));
            for (int i = 1; i < a.size(); i++) {
                v *= toInt64(a.get(i));
            }
            return int64(v);
        }));
        m.put("max", variadic(List.of(ANY, ANY), a -> int64(a.stream().mapToLong(Sprig::toInt64).reduce(Math::max).orElse(0))));
        m.put("biggest", m.get("max"));
        m.put("min", variadic(List.of(ANY, ANY), a -> int64(a.stream().mapToLong(Sprig::toInt64).reduce(Math::min).orElse(0))));
        m.put("maxf", variadic(List.of(ANY, ANY), a -> a.stream().mapToDouble(Sprig::toFloat64).reduce(Sprig::goMax).orElse(0)));
        m.put("minf", variadic(List.of(ANY, ANY), a -> a.stream().mapToDouble(Sprig::toFloat64).reduce(Sprig::goMin).orElse(0)));
        m.put("floor", fn(List.of(ANY), a -> Math.floor(toFloat64(a.get(0)))));
        m.put("ceil", fn(List.of(ANY), a -> Math.ceil(toFloat64(a.get(0)))));
        m.put("until", fn(List.of(I), a -> {
            long count = intArg(a, 0);
            return untilStep(0, count, count < 0 ? -1 : 1);
        }));
        m.put("untilStep", fn(List.of(I, I, I), a -> untilStep(intArg(a, 0), intArg(a, 1), intArg(a, 2))));
        // lists
        m.put("list", variadic(List.of(ANY), a -> new ArrayList<>(a)));
        m.put("tuple", m.get("list"));
        m.put("first", fn(List.of(ANY), a -> listOp("find first on", a.get(0), l -> l.isEmpty() ? null : l.get(0))));
        m.put("last", fn(List.of(ANY), a -> listOp("find last on", a.get(0), l -> l.isEmpty() ? null : l.get(l.size() - 1))));
        m.put("rest", fn(List.of(ANY), a -> listOp("find rest on", a.get(0), l -> l.isEmpty() ? new ArrayList<>() : new ArrayList<>(l.subList(1, l.size())))));
        m.put("initial", fn(List.of(ANY), a -> listOp("find initial on", a.get(0),
                l -> l.isEmpty() ? new ArrayList<>() : new ArrayList<>(l.subList(0, l.size() - 1)))));
        m.put("append", fn(List.of(ANY, ANY), a -> listOp("push on", a.get(0), l -> {
            List<Object> out = new ArrayList<>(l);
            out.add(a.get(1));
            return out;
        })));
        m.put("push", m.get("append"));
        m.put("prepend", fn(List.of(ANY, ANY), a -> listOp("prepend on", a.get(0), l -> {
            List<Object> out = new ArrayList<>();
            out.add(a.get(1));
            out.addAll(l);
            return out;
        })));
        m.put("reverse", fn(List.of(ANY), a -> listOp("find reverse on", a.get(0), l -> {
            List<Object> out = new ArrayList<>(l);
            java.util.Collections.reverse(out);
            return out;
        })));
        m.put("compact", fn(List.of(ANY), a -> listOp("compact on", a.get(0), l -> {
            List<Object> out = new ArrayList<>();
            l.stream().filter(x -> !empty(x)).forEach(out::add);
            return out;
        })));
        m.put("uniq", fn(List.of(ANY), a -> listOp("find uniq on", a.get(0), l -> {
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                if (out.stream().noneMatch(y -> deepEqual(x, y))) {
                    out.add(x);
                }
            }
            return out;
        })));
        m.put("without", variadic(List.of(ANY, ANY), a -> listOp("find without on", a.get(0), l -> {
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                if (a.subList(1, a.size()).stream().noneMatch(y -> deepEqual(x, y))) {
                    out.add(x);
                }
            }
            return out;
        })));
        m.put("has", fn(List.of(ANY, ANY), a -> a.get(1) == null ? false : listOp("find has on", a.get(1),
                l -> l.stream().anyMatch(x -> deepEqual(a.get(0), x)))));
        m.put("concat", variadic(List.of(ANY), a -> {
            List<Object> out = new ArrayList<>();
            for (Object x : a) {
                List<?> l = GoValues.items(x);
                if (l == null) {
                    throw new FunctionError("Cannot concat type " + kind(x) + " as list");
                }
                out.addAll(l);
            }
            return out;
        }));
        m.put("slice", variadic(List.of(ANY, ANY), a -> listOp("list should be type of slice or array but", a.get(0), l -> {
            if (l.isEmpty()) {
                return null;
            }
            long start = a.size() > 1 ? toInt64(a.get(1)) : 0;
            long end = a.size() > 2 ? toInt64(a.get(2)) : l.size();
            if (start < 0 || end < start || end > l.size()) {
                throw new FunctionError("reflect.Value.Slice: slice index out of bounds");
            }
            List<Object> out = new ArrayList<>(l.subList((int) start, (int) end));
            return a.get(0) instanceof GoSlice gs ? new GoSlice(gs.elemType(), out) : out;
        }, true)));
        m.put("join", fn(List.of(S, ANY), a -> String.join(str(a, 0), strslice(a.get(1)))));
        m.put("sortAlpha", fn(List.of(ANY), a -> {
            Object v = a.get(0) instanceof GoPointer p ? p.target() : a.get(0);
            if (GoValues.items(v) == null) {
                return new GoSlice(S, List.of(strval(a.get(0))));
            }
            List<String> s = new ArrayList<>(strslice(a.get(0)));
            s.sort(GoValues::compareStrings);
            return new GoSlice(S, new ArrayList<>(s));
        }));
        m.put("splitList", fn(List.of(S, S), a -> new GoSlice(S, new ArrayList<>(split(str(a, 1), str(a, 0), -1)))));
        m.put("split", fn(List.of(S, S), a -> indexed(split(str(a, 1), str(a, 0), -1))));
        m.put("splitn", fn(List.of(S, I, S), a -> indexed(split(str(a, 2), str(a, 0), (int) intArg(a, 1)))));
        m.put("toStrings", fn(List.of(ANY), a -> new GoSlice(S, new ArrayList<>(strslice(a.get(0))))));
        // dicts
        m.put("dict", variadic(List.of(ANY), a -> {
            Map<String, Object> d = new LinkedHashMap<>();
            for (int i = 0; i < a.size(); i += 2) {
                d.put(strval(a.get(i)), i + 1 < a.size() ? a.get(i + 1) : "");
            }
            return d;
        }));
        m.put("get", fn(List.of(MAP, S), a -> map(a, 0).containsKey(str(a, 1)) ? map(a, 0).get(str(a, 1)) : ""));
        m.put("set", fn(List.of(MAP, S, ANY), a -> {
            if (a.get(0) == null) {
                throw new FunctionError("assignment to entry in nil map");
            }
            map(a, 0).put(str(a, 1), a.get(2));
            return a.get(0);
        }));
        m.put("unset", fn(List.of(MAP, S), a -> {
            Map<String, Object> d = map(a, 0);
            d.remove(str(a, 1));
            return d;
        }));
        m.put("hasKey", fn(List.of(MAP, S), a -> map(a, 0).containsKey(str(a, 1))));
        m.put("pluck", variadic(List.of(S, MAP), a -> {
            List<Object> out = new ArrayList<>();
            for (int i = 1; i < a.size(); i++) {
                Map<String, Object> d = map(a, i);
                if (d.containsKey(str(a, 0))) {
                    out.add(d.get(str(a, 0)));
                }
            }
            return out;
        }));
        m.put("pick", variadic(List.of(MAP, S), a -> {
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 1; i < a.size(); i++) {
                if (map(a, 0).containsKey(str(a, i))) {
                    out.put(str(a, i), map(a, 0).get(str(a, i)));
                }
            }
            return out;
        }));
        m.put("omit", variadic(List.of(MAP, S), a -> {
            Map<String, Object> out = new LinkedHashMap<>(map(a, 0));
            for (int i = 1; i < a.size(); i++) {
                out.remove(str(a, i));
            }
            return out;
        }));
        m.put("dig", variadic(List.of(ANY), Sprig::dig));
        // defaults, logic, JSON
        m.put("default", variadic(List.of(ANY, ANY), a -> a.size() < 2 || empty(a.subList(1, a.size())) || empty(a.get(1)) ? a.get(0) : a.get(1)));
        m.put("empty", fn(List.of(ANY), a -> empty(a.get(0))));
        m.put("coalesce", variadic(List.of(ANY), a -> a.stream().filter(x -> !empty(x)).findFirst().orElse(null)));
        m.put("all", variadic(List.of(ANY), a -> a.stream().noneMatch(Sprig::empty)));
        m.put("any", variadic(List.of(ANY), a -> a.stream().anyMatch(x -> !empty(x))));
        m.put("ternary", fn(List.of(ANY, ANY, "bool"), a -> (Boolean) a.get(2) ? a.get(0) : a.get(1)));
        m.put("fail", fn(List.of(S), a -> {
            throw new FunctionError(str(a, 0));
        }));
        m.put("toJson", fn(List.of(ANY), a -> GoJson.marshal(a.get(0), true, null)));
        m.put("toRawJson", fn(List.of(ANY), a -> {
            String s = GoJson.marshal(a.get(0), false, null);
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        }));
        m.put("toPrettyJson", fn(List.of(ANY), a -> GoJson.marshal(a.get(0), true, "  ")));
        m.put("fromJson", fn(List.of(S), a -> GoJson.unmarshal(str(a, 0))));
        // reflection
        m.put("typeOf", fn(List.of(ANY), a -> GoValues.typeName(a.get(0))));
        m.put("kindOf", fn(List.of(ANY), a -> a.get(0) == null ? "invalid" : kind(a.get(0))));
        m.put("kindIs", fn(List.of(S, ANY), a -> str(a, 0).equals(a.get(1) == null ? "invalid" : kind(a.get(1)))));
        m.put("typeIs", fn(List.of(S, ANY), a -> str(a, 0).equals(GoValues.typeName(a.get(1)))));
        m.put("deepEqual", fn(List.of(ANY, ANY), a -> deepEqual(a.get(0), a.get(1))));
        // paths
        m.put("base", fn(List.of(S), a -> GoPaths.base(str(a, 0))));
        m.put("dir", fn(List.of(S), a -> GoPaths.dir(str(a, 0))));
        m.put("clean", fn(List.of(S), a -> GoPaths.clean(str(a, 0))));
        m.put("ext", fn(List.of(S), a -> GoPaths.ext(str(a, 0))));
        m.put("isAbs", fn(List.of(S), a -> str(a, 0).startsWith("/")));
        more(m);
        SprigText.register(m);
        FUNCTIONS = Map.copyOf(m);
    }

    private static void more(Map<String, Function> m) {
        // the must- forms: Sprig's plain forms panic with the same error that these return
        for (String[] alias : new String[][] {{"mustFirst", "first"}, {"mustLast", "last"}, {"mustRest", "rest"}, {"mustInitial", "initial"},
            {"mustAppend", "append"}, {"mustPush", "append"}, {"mustPrepend", "prepend"}, {"mustReverse", "reverse"}, {"mustUniq", "uniq"},
            {"mustWithout", "without"}, {"mustHas", "has"}, {"mustSlice", "slice"}, {"mustCompact", "compact"}, {"biggest", "max"},
            // path/filepath on Linux is path
            {"osBase", "base"}, {"osClean", "clean"}, {"osDir", "dir"}, {"osExt", "ext"}, {"osIsAbs", "isAbs"}}) {
            m.put(alias[0], m.get(alias[1]));
        }
        m.put("mustToJson", fn(List.of(ANY), a -> mustJson(a.get(0), true, null)));
        m.put("mustToPrettyJson", fn(List.of(ANY), a -> mustJson(a.get(0), true, "  ")));
        m.put("mustToRawJson", fn(List.of(ANY), a -> mustJson(a.get(0), false, null)));
        m.put("mustFromJson", fn(List.of(S), a -> {
            Object v = GoJson.unmarshal(str(a, 0));
            if (v == null && !str(a, 0).strip().equals("null")) {
                throw new FunctionError("invalid JSON: " + str(a, 0));
            }
            return v;
        }));
        m.put("chunk", fn(List.of(I, ANY), a -> listOp("chunk", a.get(1), l -> {
            // Sprig's arithmetic in float64, as it is, for every size (0 and negative ones included)
            long size = intArg(a, 0);
            int n = l.size();
            long cs = goFloatToInt(Math.floor((double) (n - 1) / size) + 1);
            if (cs < 0 || cs > Integer.MAX_VALUE) {
                throw new FunctionError("runtime error: makeslice: len out of range");
            }
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < cs; i++) {
                long clen = size;
                if (i == cs - 1) {
                    clen = goFloatToInt(Math.floor((double) n % size));
                    if (clen == 0) {
                        clen = size;
                    }
                }
                if (clen < 0 || clen > Integer.MAX_VALUE) {
                    throw new FunctionError("runtime error: makeslice: len out of range");
                }
                List<Object> part = new ArrayList<>();
                for (long j = 0; j < clen; j++) {
                    long ix = i * size + j;
                    if (ix < 0 || ix >= n) {
                        throw new FunctionError("reflect: slice index out of range");
                    }
                    part.add(l.get((int) ix));
                }
                out.add(part);
            }
            return new GoSlice("[]interface {}", out);
        })));
        m.put("mustChunk", m.get("chunk"));
        m.put("seq", variadic(List.of(I), Sprig::seq));
        m.put("toDecimal", fn(List.of(ANY), a -> {
            String text = GoFmt.sprint(java.util.Collections.singletonList(a.get(0)));
            if (!text.matches("[+-]?[0-7]+")) {
                return int64(0);
            }
            java.math.BigInteger v = new java.math.BigInteger(text, 8);
            return int64(v.bitLength() <= 63 ? v.longValue() : 0);
        }));
        m.put("round", variadic(List.of(ANY, I, "float64"), a -> {
            double roundOn = a.size() > 2 ? (Double) a.get(2) : .5;
            double val = toFloat64(a.get(0));
            double pow = Math.pow(10, (Long) a.get(1));
            double digit = pow * val;
            double frac = digit - (digit < 0 ? Math.ceil(digit) : Math.floor(digit));
            return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
        }));
        m.put("add1f", fn(List.of(ANY), a -> decimalOp(a.get(0), List.of(1L), java.math.BigDecimal::add)));
        m.put("addf", variadic(List.of(ANY), a -> decimalOp(0.0, a, java.math.BigDecimal::add)));
        m.put("subf", variadic(List.of(ANY, ANY), a -> decimalOp(a.get(0), a.subList(1, a.size()), java.math.BigDecimal::subtract)));
        m.put("mulf", variadic(List.of(ANY, ANY), a -> decimalOp(a.get(0), a.subList(1, a.size()), java.math.BigDecimal::multiply)));
        m.put("divf", variadic(List.of(ANY, ANY), a -> decimalOp(a.get(0), a.subList(1, a.size()), Sprig::divide)));
        m.put("typeIsLike", fn(List.of(S, ANY), a -> {
            String t = GoValues.typeName(a.get(1));
            return str(a, 0).equals(t) || str(a, 0).equals("*" + t);
        }));
        m.put("deepCopy", fn(List.of(ANY), a -> deepCopy(a.get(0))));
        m.put("mustDeepCopy", m.get("deepCopy"));
        // Go ranges over a map in a random order: keys and values come in sorted order here (sortAlpha makes both agree)
        m.put("keys", variadic(List.of(MAP), a -> {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                GoValues.sorted(map(a, i)).forEach(e -> out.add(e.getKey()));
            }
            return new GoSlice(S, out);
        }));
        m.put("duration", fn(List.of(ANY), a -> {
            Object v = a.get(0);
            long n = 0;
            if (v instanceof String str) {
                java.math.BigInteger b = str.matches("[+-]?[0-9]+") ? new java.math.BigInteger(str.startsWith("+") ? str.substring(1) : str) : null;
                n = b != null && b.bitLength() <= 63 ? b.longValue() : 0;
            } else if (v instanceof GoNumber g && g.type().equals("int64")) {
                n = g.bits();
            }
            return GoDuration.format(n * 1_000_000_000L);
        }));
        m.put("durationRound", fn(List.of(ANY), a -> {
            Object v = a.get(0);
            long d = 0;
            if (v instanceof String str) {
                d = GoDuration.parse(str);
            } else if (v instanceof GoNumber g && g.type().equals("int64")) {
                d = g.bits();
            }
            return GoDuration.round(d);
        }));
        m.put("values", fn(List.of(MAP), a -> {
            List<Object> out = new ArrayList<>();
            GoValues.sorted(map(a, 0)).forEach(e -> out.add(e.getValue()));
            return out;
        }));
        SprigMore.register(m);
        SprigRandom.register(m);
    }

    private static String mustJson(Object v, boolean escapeHtml, String indent) {
        String s = GoJson.marshal(v, escapeHtml, indent);
        if (s.isEmpty()) {
            throw new FunctionError("json: unsupported value");
        }
        return s;
    }

    /** shopspring/decimal as Sprig uses it: each operand from its float64, the result back to float64. */
    private static double decimalOp(Object first, List<Object> rest, java.util.function.BinaryOperator<java.math.BigDecimal> op) {
        java.math.BigDecimal acc = decimalOf(toFloat64(first));
        for (Object x : rest) {
            acc = op.apply(acc, decimalOf(toFloat64(x)));
        }
        return acc.doubleValue();
    }

    private static java.math.BigDecimal decimalOf(double f) {
        if (Double.isNaN(f) || Double.isInfinite(f)) {
            throw new FunctionError("Cannot create a Decimal from " + GoFmt.formatFloat(f, 'g', -1, 64));
        }
        return new java.math.BigDecimal(GoFmt.formatFloat(f, 'e', -1, 64));
    }

    /** decimal's Div: 16 digits after the point, rounded half away from zero. */
    private static java.math.BigDecimal divide(java.math.BigDecimal a, java.math.BigDecimal b) {
        if (b.signum() == 0) {
            throw new FunctionError("decimal division by 0");
        }
        return a.divide(b, 16, java.math.RoundingMode.HALF_UP);
    }

    private static Object seq(List<Object> a) {
        long[] p = a.stream().mapToLong(x -> (Long) x).toArray();
        GoSlice values;
        switch (p.length) {
            case 1 -> {
                long start = 1;
                long end = p[0];
                long inc = end < start ? -1 : 1;
                values = untilStep(start, end + inc, inc);
            }
            case 2 -> {
                long step = p[1] < p[0] ? -1 : 1;
                values = untilStep(p[0], p[1] + step, step);
            }
            case 3 -> {
                long inc = 1;
                if (p[2] < p[0]) {
                    inc = -1;
                    if (p[1] > 0) {
                        return "";
                    }
                }
                values = untilStep(p[0], p[2] + inc, p[1]);
            }
            default -> {
                return "";
            }
        }
        StringBuilder out = new StringBuilder();
        for (Object v : values.items()) {
            out.append(out.length() > 0 ? " " : "").append(v);
        }
        return out.toString();
    }

    private static Object deepCopy(Object v) {
        if (v == null) {
            throw new FunctionError("reflect: call of reflect.Value.Type on zero Value");
        }
        if (v instanceof GoObject o) {
            return o.deepCopy();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = m instanceof GoValues.StringMap ? new GoValues.StringMap() : new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, x == null ? null : deepCopy(x)));
            return out;
        }
        if (v instanceof GoSlice s) {
            List<Object> out = new ArrayList<>();
            s.items().forEach(x -> out.add(x == null ? null : deepCopy(x)));
            return new GoSlice(s.elemType(), out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(x == null ? null : deepCopy(x)));
            return out;
        }
        return v;
    }

    private static String str(List<Object> a, int i) {
        return (String) a.get(i);
    }

    private static long intArg(List<Object> a, int i) {
        return (Long) a.get(i);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(List<Object> a, int i) {
        Object m = a.get(i);
        if (m == null) {
            return new LinkedHashMap<>();
        }
        return (Map<String, Object>) m;
    }

    private static byte[] utf8(String s) {
        return GoBytes.bytes(s);
    }

    private static GoNumber int64(long v) {
        return GoNumber.integer("int64", v);
    }

    /** reflect.Kind's name: what Sprig's errors and kindOf say. */
    static String kind(Object v) {
        if (v == null) {
            throw new FunctionError("runtime error: invalid memory address or nil pointer dereference");
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float64";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof GoNumber n) {
            return n.type();
        }
        if (GoValues.items(v) != null) {
            return "slice";
        }
        if (v instanceof Map<?, ?>) {
            return "map";
        }
        if (v instanceof GoStruct) {
            return "struct";
        }
        if (v instanceof GoPointer) {
            return "ptr";
        }
        if (v instanceof Function) {
            return "func";
        }
        if (v instanceof GoObject o) {
            return o.kind();
        }
        return "invalid";
    }

    private interface ListBody {
        Object apply(List<Object> items);
    }

    private static Object listOp(String what, Object list, ListBody body) {
        return listOp(what, list, body, false);
    }

    @SuppressWarnings("unchecked")
    private static Object listOp(String what, Object list, ListBody body, boolean bareMessage) {
        String k = kind(list);
        List<?> items = GoValues.items(list);
        if (items == null) {
            throw new FunctionError(bareMessage ? what + " " + k : "Cannot " + what + " type " + k);
        }
        return body.apply((List<Object>) items);
    }

    /** Sprig's strval: a string as it is, anything else as %v prints it. */
    static String strval(Object v) {
        if (v instanceof String s) {
            return s;
        }
        return GoFmt.sprintf("%v", java.util.Collections.singletonList(v));
    }

    private static List<String> strslice(Object v) {
        List<String> out = new ArrayList<>();
        if (v instanceof GoSlice s && s.elemType().equals("string")) {
            for (Object x : s.items()) {
                out.add((String) x);
            }
            return out;
        }
        List<?> items = GoValues.items(v);
        if (items != null) {
            for (Object x : items) {
                if (x != null) {
                    out.add(strval(x));
                }
            }
            return out;
        }
        if (v == null) {
            return out;
        }
        out.add(strval(v));
        return out;
    }

    /** Sprig's empty: nil, false, 0, and empty strings, lists and maps; structs never. */
    static boolean empty(Object v) {
        if (v == null || v == Exec.NO_VALUE) {
            return true;
        }
        if (v instanceof GoStruct) {
            return false;
        }
        if (v instanceof GoPointer p) {
            return p.target() == null;
        }
        return !GoValues.truth(v);
    }

    /** reflect.DeepEqual for these values. */
    static boolean deepEqual(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (!GoValues.typeName(a).equals(GoValues.typeName(b))) {
            return false;
        }
        if (a instanceof Double x && b instanceof Double y) {
            return x.doubleValue() == y.doubleValue();
        }
        List<?> la = GoValues.items(a);
        List<?> lb = GoValues.items(b);
        if (la != null && lb != null) {
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!deepEqual(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !deepEqual(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    /** spf13/cast's ToInt64 (what Sprig's arithmetic uses): 0 for what does not convert. */
    static long toInt64(Object v) {
        if (v instanceof GoPointer p) {
            v = p.target();
        }
        if (v == null || v == Exec.NO_VALUE) {
            return 0;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof GoNumber n) {
            return n.isFloat() ? goFloatToInt(n.floatValue()) : n.bits();
        }
        if (v instanceof Double d) {
            return goFloatToInt(d);
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (v instanceof String s) {
            java.math.BigInteger parsed = GoStrings.parseInteger(trimZeroDecimal(s));
            return parsed != null && parsed.bitLength() <= 63 ? parsed.longValue() : 0;
        }
        return 0;
    }

    /** Go's int64(f) on amd64: truncation, and the minimum int64 for what does not fit. */
    private static long goFloatToInt(double d) {
        if (Double.isNaN(d) || d >= 9.223372036854775807E18 || d < -9.223372036854775808E18) {
            return Long.MIN_VALUE;
        }
        return (long) d;
    }

    private static String trimZeroDecimal(String s) {
        boolean foundZero = false;
        for (int i = s.length(); i > 0; i--) {
            char c = s.charAt(i - 1);
            if (c == '.') {
                if (foundZero) {
                    return s.substring(0, i - 1);
                }
            } else if (c == '0') {
                foundZero = true;
            } else {
                return s;
            }
        }
        return s;
    }

    /** spf13/cast's ToFloat64. */
    static double toFloat64(Object v) {
        if (v instanceof GoPointer p) {
            v = p.target();
        }
        if (v == null || v == Exec.NO_VALUE) {
            return 0;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof GoNumber n) {
            return n.isFloat() ? n.floatValue() : n.isUnsigned() ? GoStrings.unsignedToDouble(n.bits()) : n.bits();
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (v instanceof String s) {
            Double d = GoStrings.parseFloat(s);
            if (d == null) {
                String t = s.trim();
                if (t.equals(s) && (s.equalsIgnoreCase("inf") || s.equalsIgnoreCase("+inf") || s.equalsIgnoreCase("infinity"))) {
                    return Double.POSITIVE_INFINITY;
                }
                if (s.equalsIgnoreCase("-inf") || s.equalsIgnoreCase("-infinity")) {
                    return Double.NEGATIVE_INFINITY;
                }
                if (s.equalsIgnoreCase("nan")) {
                    return Double.NaN;
                }
                return 0;
            }
            return d;
        }
        return 0;
    }

    private static double goMax(double a, double b) {
        if (Double.isInfinite(a) && a > 0 || Double.isInfinite(b) && b > 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        if (a == 0 && b == 0) {
            return 1 / a < 0 ? b : a;
        }
        return Math.max(a, b);
    }

    private static double goMin(double a, double b) {
        if (Double.isInfinite(a) && a < 0 || Double.isInfinite(b) && b < 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        if (a == 0 && b == 0) {
            return 1 / a < 0 ? a : b;
        }
        return Math.min(a, b);
    }

    private static long divide(long a, long b, boolean remainder) {
        if (b == 0) {
            throw new FunctionError("runtime error: integer divide by zero");
        }
        return remainder ? a % b : a / b;
    }

    private static long atoi(String s) {
        java.math.BigInteger v = null;
        if (s.matches("[+-]?[0-9]+")) {
            v = new java.math.BigInteger(s.startsWith("+") ? s.substring(1) : s);
        }
        return v != null && v.bitLength() <= 63 ? v.longValue() : 0;
    }

    private static GoSlice untilStep(long start, long stop, long step) {
        List<Object> v = new ArrayList<>();
        if (stop < start) {
            if (step >= 0) {
                return new GoSlice("int", v);
            }
            for (long i = start; i > stop; i += step) {
                v.add(i);
            }
            return new GoSlice("int", v);
        }
        if (step <= 0) {
            return new GoSlice("int", v);
        }
        for (long i = start; i < stop; i += step) {
            v.add(i);
        }
        return new GoSlice("int", v);
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x85 || c == 0xa0
                || Character.isSpaceChar(c) && c != 0x200b;
    }

    /** strings.ToUpper/ToLower: rune by rune, simple case mappings only (ß stays ß, as in Go). */
    private static String mapCodePoints(String s, java.util.function.IntUnaryOperator f) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length();) {
            int c = s.codePointAt(i);
            // strings.Map writes U+FFFD for a byte that is not UTF-8
            b.appendCodePoint(GoBytes.isRawByte(s, i) ? 0xFFFD : f.applyAsInt(c));
            i += Character.charCount(c);
        }
        return b.toString();
    }

    private static boolean isPlainMap(Object v) {
        return v instanceof Map && !(v instanceof GoValues.StringMap);
    }

    /** strings.TrimSpace. */
    static String trimSpace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    /** strings.Trim(s, cutset). */
    private static String trimCutset(String s, String cutset) {
        int start = 0;
        int end = s.length();
        while (start < end && cutset.indexOf(s.codePointAt(start)) >= 0) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && cutset.indexOf(s.codePointBefore(end)) >= 0) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    /** strings.Title: the first letter of each word upper case; a word starts after a separator. */
    private static String title(String s) {
        StringBuilder b = new StringBuilder();
        int prev = ' ';
        for (int i = 0; i < s.length();) {
            int r = s.codePointAt(i);
            i += Character.charCount(r);
            b.appendCodePoint(isSeparator(prev) ? Character.toTitleCase(r) : r);
            prev = r;
        }
        return b.toString();
    }

    private static boolean isSeparator(int r) {
        if (r <= 0x7F) {
            if ('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_') {
                return false;
            }
            return true;
        }
        if (Character.isLetterOrDigit(r)) {
            return false;
        }
        return Character.isWhitespace(r) || Character.isSpaceChar(r);
    }

    /** goutils' Uncapitalize: the first letter of each space-separated word lower case. */
    private static String untitle(String s) {
        StringBuilder b = new StringBuilder();
        boolean next = true;
        for (int i = 0; i < s.length();) {
            int r = s.codePointAt(i);
            i += Character.charCount(r);
            if (Character.isWhitespace(r)) {
                next = true;
                b.appendCodePoint(r);
            } else if (next) {
                b.appendCodePoint(Character.toLowerCase(r));
                next = false;
            } else {
                b.appendCodePoint(r);
            }
        }
        return b.toString();
    }

    /** A byte range of a string, as Go slices it. */
    private static String bytes(String s, int from, int to) {
        int len = GoBytes.length(s);
        if (from < 0 || to > len || from > to) {
            throw new FunctionError("runtime error: slice bounds out of range [" + from + ":" + to + "] with length " + len);
        }
        return GoBytes.slice(s, from, to);
    }

    private static String substr(long start, long end, String s) {
        int len = utf8(s).length;
        if (start < 0) {
            return bytes(s, 0, (int) end);
        }
        if (end < 0 || end > len) {
            return bytes(s, (int) start, len);
        }
        return bytes(s, (int) start, (int) end);
    }

    private static String trunc(long c, String s) {
        int len = utf8(s).length;
        if (c < 0 && len + c > 0) {
            return bytes(s, (int) (len + c), len);
        }
        if (c >= 0 && len > c) {
            return bytes(s, 0, (int) c);
        }
        return s;
    }

    private static String repeat(long count, String s) {
        if (count < 0) {
            throw new FunctionError("strings: negative Repeat count");
        }
        return s.repeat((int) count);
    }

    private static String indent(long spaces, String v) {
        String pad = " ".repeat((int) Math.max(spaces, 0));
        if (spaces < 0) {
            throw new FunctionError("strings: negative Repeat count");
        }
        return pad + v.replace("\n", "\n" + pad);
    }

    private static Object quote(List<Object> a) {
        List<String> out = new ArrayList<>();
        for (Object s : a) {
            if (s != null) {
                out.add(GoFmt.quote(strval(s)));
            }
        }
        return String.join(" ", out);
    }

    private static Object squote(List<Object> a) {
        List<String> out = new ArrayList<>();
        for (Object s : a) {
            if (s != null) {
                out.add(GoFmt.sprintf("'%v'", java.util.Collections.singletonList(s)));
            }
        }
        return String.join(" ", out);
    }

    private static Object cat(List<Object> a) {
        List<Object> v = new ArrayList<>();
        for (Object x : a) {
            if (x != null) {
                v.add(x);
            }
        }
        String format = "%v ".repeat(v.size()).trim();
        return GoFmt.sprintf(format, v);
    }

    /** Go's base64.StdEncoding.DecodeString, and Sprig's habit of returning the error's text as the result. */
    private static String b64dec(String text) {
        byte[] src = utf8(text);
        java.io.ByteArrayOutputStream dst = new java.io.ByteArrayOutputStream();
        int si = 0;
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        while (si < src.length) {
            int[] dbuf = new int[4];
            int dlen = 4;
            Integer error = null;
            int j = 0;
            for (; j < 4; j++) {
                if (src.length == si) {
                    if (j == 0) {
                        return GoBytes.string(dst.toByteArray());
                    }
                    return "illegal base64 data at input byte " + (si - j);
                }
                int in = src[si] & 0xff;
                si++;
                int out = in < 128 ? alphabet.indexOf(in) : -1;
                if (out >= 0) {
                    dbuf[j] = out;
                    continue;
                }
                if (in == '\n' || in == '\r') {
                    j--;
                    continue;
                }
                if (in != '=') {
                    return "illegal base64 data at input byte " + (si - 1);
                }
                if (j == 0 || j == 1) {
                    return "illegal base64 data at input byte " + (si - 1);
                }
                if (j == 2) {
                    while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                        si++;
                    }
                    if (si == src.length) {
                        return "illegal base64 data at input byte " + src.length;
                    }
                    if (src[si] != '=') {
                        return "illegal base64 data at input byte " + (si - 1);
                    }
                    si++;
                }
                while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                    si++;
                }
                if (si < src.length) {
                    error = si;
                }
                dlen = j;
                break;
            }
            int val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
            int[] bytes = {(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff};
            for (int k = 0; k < dlen - 1; k++) {
                dst.write(bytes[k]);
            }
            if (error != null) {
                return "illegal base64 data at input byte " + error;
            }
        }
        return GoBytes.string(dst.toByteArray());
    }

    private static String digest(String algorithm, String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(utf8(s)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String adler32(String s) {
        java.util.zip.Adler32 a = new java.util.zip.Adler32();
        a.update(utf8(s));
        return Long.toString(a.getValue());
    }

    /** strings.Split / SplitN. */
    private static List<String> split(String s, String sep, int n) {
        List<String> out = new ArrayList<>();
        if (n == 0) {
            return out;
        }
        if (sep.isEmpty()) {
            int[] cps = s.codePoints().toArray();
            int limit = n < 0 || n > cps.length ? cps.length : n;
            for (int i = 0; i < limit; i++) {
                if (i == limit - 1 && limit < cps.length) {
                    out.add(s.substring(s.offsetByCodePoints(0, i)));
                } else {
                    out.add(new String(Character.toChars(cps[i])));
                }
            }
            return out;
        }
        int start = 0;
        while (n < 0 || out.size() < n - 1) {
            int i = s.indexOf(sep, start);
            if (i < 0) {
                break;
            }
            out.add(s.substring(start, i));
            start = i + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static Map<String, Object> indexed(List<String> parts) {
        Map<String, Object> res = new GoValues.StringMap();
        for (int i = 0; i < parts.size(); i++) {
            res.put("_" + i, parts.get(i));
        }
        return res;
    }

    @SuppressWarnings("unchecked")
    private static Object dig(List<Object> a) {
        if (a.size() < 3) {
            throw new FunctionError("dig needs at least three arguments");
        }
        Object last = a.get(a.size() - 1);
        if (!isPlainMap(last)) {
            throw new FunctionError("interface conversion: interface {} is " + (last == null ? "nil" : GoValues.typeName(last))
                    + ", not map[string]interface {}");
        }
        Object def = a.get(a.size() - 2);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < a.size() - 2; i++) {
            Object k = a.get(i);
            if (!(k instanceof String)) {
                throw new FunctionError("interface conversion: interface {} is " + (k == null ? "nil" : GoValues.typeName(k)) + ", not string");
            }
            keys.add((String) k);
        }
        Map<String, Object> dict = (Map<String, Object>) last;
        for (int i = 0; i < keys.size(); i++) {
            if (!dict.containsKey(keys.get(i))) {
                return def;
            }
            Object step = dict.get(keys.get(i));
            if (i == keys.size() - 1) {
                return step;
            }
            if (!isPlainMap(step)) {
                throw new FunctionError("interface conversion: interface {} is " + (step == null ? "nil" : GoValues.typeName(step))
                        + ", not map[string]interface {}");
            }
            dict = (Map<String, Object>) step;
        }
        return def;
    }

    /** goutils' DeleteWhiteSpace, byte by byte: each byte taken as a character (Latin-1) once any space was removed. */
    private static String nospace(String s) {
        byte[] b = utf8(s);
        StringBuilder out = new StringBuilder();
        int count = 0;
        for (byte x : b) {
            int ch = x & 0xff;
            boolean space = ch == ' ' || ch >= 9 && ch <= 13 || ch == 0x85 || ch == 0xa0;
            if (!space) {
                out.append((char) ch);
                count++;
            }
        }
        return count == b.length ? s : out.toString();
    }
}
