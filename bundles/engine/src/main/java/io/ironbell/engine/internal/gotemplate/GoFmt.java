package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Go's fmt for the values of {@link GoValues}: {@code Sprint}, {@code Sprintln}, {@code Sprintf}
 * with its verbs, flags, width, precision and argument indexes, and its error forms
 * ({@code %!d(string=x)}, {@code %!v(MISSING)}, {@code %!(EXTRA ...)}); floats as strconv formats
 * them (shortest representation for %v).
 */
public final class GoFmt {

    private final StringBuilder buf = new StringBuilder();
    private boolean sharp;
    private boolean zero;
    private boolean plus;
    private boolean minus;
    private boolean space;
    private boolean sharpV;
    private boolean plusV;
    private boolean widPresent;
    private boolean precPresent;
    private int wid;
    private int prec;
    private Object arg;
    private boolean reordered;
    private boolean goodArgNum;

    private GoFmt() {
    }

    private void clearFlags() {
        sharp = zero = plus = minus = space = sharpV = plusV = widPresent = precPresent = false;
        wid = prec = 0;
    }

    /** fmt.Sprint: operands side by side, a space between two that are not strings. */
    public static String sprint(List<Object> args) {
        GoFmt p = new GoFmt();
        boolean prevString = false;
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            boolean isString = a instanceof String;
            if (i > 0 && !isString && !prevString) {
                p.buf.append(' ');
            }
            p.clearFlags();
            p.printArg(a, 'v');
            prevString = isString;
        }
        return p.buf.toString();
    }

    /** fmt.Sprintln: operands separated by spaces, a newline at the end. */
    public static String sprintln(List<Object> args) {
        GoFmt p = new GoFmt();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                p.buf.append(' ');
            }
            p.clearFlags();
            p.printArg(args.get(i), 'v');
        }
        return p.buf.append('\n').toString();
    }

    /** fmt.Sprintf. */
    public static String sprintf(String format, List<Object> a) {
        GoFmt p = new GoFmt();
        p.doPrintf(format, a);
        return p.buf.toString();
    }

    /** The value as {@code {{.}}} prints it (fmt.Fprint of one operand). */
    static String print(Object v) {
        GoFmt p = new GoFmt();
        p.printArg(v, 'v');
        return p.buf.toString();
    }

    private void doPrintf(String format, List<Object> a) {
        int end = format.length();
        int argNum = 0;
        boolean afterIndex;
        reordered = false;
        formatLoop:
        for (int i = 0; i < end;) {
            goodArgNum = true;
            int lasti = i;
            while (i < end && format.charAt(i) != '%') {
                i++;
            }
            if (i > lasti) {
                buf.append(format, lasti, i);
            }
            if (i >= end) {
                break;
            }
            i++;
            clearFlags();
            simpleFormat:
            for (; i < end; i++) {
                char c = format.charAt(i);
                switch (c) {
                    case '#' -> sharp = true;
                    case '0' -> zero = !minus;
                    case '+' -> plus = true;
                    case '-' -> {
                        minus = true;
                        zero = false;
                    }
                    case ' ' -> space = true;
                    default -> {
                        if ('a' <= c && c <= 'z' && argNum < a.size()) {
                            if (c == 'v') {
                                sharpV = sharp;
                                sharp = false;
                                plusV = plus;
                                plus = false;
                            }
                            printArg(a.get(argNum), c);
                            argNum++;
                            i++;
                            continue formatLoop;
                        }
                        break simpleFormat;
                    }
                }
            }
            int[] r = argNumber(argNum, format, i, a.size());
            argNum = r[0];
            i = r[1];
            afterIndex = r[2] == 1;
            if (i < end && format.charAt(i) == '*') {
                i++;
                Integer w = intFromArg(a, argNum);
                argNum++;
                widPresent = w != null;
                wid = w == null ? 0 : w;
                if (!widPresent) {
                    buf.append("%!(BADWIDTH)");
                }
                if (wid < 0) {
                    wid = -wid;
                    minus = true;
                    zero = false;
                }
                afterIndex = false;
            } else {
                int[] n = parseNum(format, i, end);
                wid = n[0];
                widPresent = n[1] == 1;
                i = n[2];
                if (afterIndex && widPresent) {
                    goodArgNum = false;
                }
            }
            if (i + 1 < end && format.charAt(i) == '.') {
                i++;
                if (afterIndex) {
                    goodArgNum = false;
                }
                r = argNumber(argNum, format, i, a.size());
                argNum = r[0];
                i = r[1];
                afterIndex = r[2] == 1;
                if (i < end && format.charAt(i) == '*') {
                    i++;
                    Integer pr = intFromArg(a, argNum);
                    argNum++;
                    precPresent = pr != null;
                    prec = pr == null ? 0 : pr;
                    if (prec < 0) {
                        prec = 0;
                        precPresent = false;
                    }
                    if (pr == null) {
                        buf.append("%!(BADPREC)");
                    }
                    afterIndex = false;
                } else {
                    int[] n = parseNum(format, i, end);
                    prec = n[0];
                    precPresent = n[1] == 1;
                    i = n[2];
                    if (!precPresent) {
                        prec = 0;
                        precPresent = true;
                    }
                }
            }
            if (!afterIndex) {
                r = argNumber(argNum, format, i, a.size());
                argNum = r[0];
                i = r[1];
            }
            if (i >= end) {
                buf.append("%!(NOVERB)");
                break;
            }
            int verb = format.codePointAt(i);
            i += Character.charCount(verb);
            if (verb == '%') {
                buf.append('%');
            } else if (!goodArgNum) {
                badArgNum(verb);
            } else if (argNum >= a.size()) {
                buf.append("%!").appendCodePoint(verb).append("(MISSING)");
            } else {
                if (verb == 'v') {
                    sharpV = sharp;
                    sharp = false;
                    plusV = plus;
                    plus = false;
                }
                printArg(a.get(argNum), verb);
                argNum++;
            }
        }
        if (!reordered && argNum < a.size()) {
            clearFlags();
            buf.append("%!(EXTRA ");
            for (int k = argNum; k < a.size(); k++) {
                if (k > argNum) {
                    buf.append(", ");
                }
                Object x = a.get(k);
                if (x == null) {
                    buf.append("<nil>");
                } else {
                    buf.append(GoValues.typeName(x)).append('=');
                    printArg(x, 'v');
                }
            }
            buf.append(')');
        }
    }

    private void badArgNum(int verb) {
        buf.append("%!").appendCodePoint(verb).append("(BADINDEX)");
    }

    private static Integer intFromArg(List<Object> a, int argNum) {
        if (argNum < a.size()) {
            Object x = a.get(argNum);
            long n;
            if (x instanceof Long l) {
                n = l;
            } else if (x instanceof GoNumber g && !g.isFloat()) {
                n = g.bits();
                if (g.isUnsigned() && n < 0) {
                    return null;
                }
            } else {
                return null;
            }
            if (n > 1_000_000 || n < -1_000_000) {
                return null;
            }
            return (int) n;
        }
        return null;
    }

    /** {value, present (1/0), new index}. */
    private static int[] parseNum(String s, int start, int end) {
        if (start >= end) {
            return new int[] {0, 0, end};
        }
        int num = 0;
        boolean isnum = false;
        int i = start;
        for (; i < end && '0' <= s.charAt(i) && s.charAt(i) <= '9'; i++) {
            if (num > 1_000_000) {
                return new int[] {0, 0, end};
            }
            num = num * 10 + s.charAt(i) - '0';
            isnum = true;
        }
        return new int[] {num, isnum ? 1 : 0, i};
    }

    /** {argNum, new index, found (1/0)}. */
    private int[] argNumber(int argNum, String format, int i, int numArgs) {
        if (format.length() <= i || format.charAt(i) != '[') {
            return new int[] {argNum, i, 0};
        }
        reordered = true;
        int[] idx = parseArgNumber(format.substring(i));
        int index = idx[0];
        int wid = idx[1];
        boolean ok = idx[2] == 1;
        if (ok && 0 <= index && index < numArgs) {
            return new int[] {index, i + wid, 1};
        }
        goodArgNum = false;
        return new int[] {argNum, i + wid, ok ? 1 : 0};
    }

    private static int[] parseArgNumber(String format) {
        if (format.length() < 3) {
            return new int[] {0, 1, 0};
        }
        for (int i = 1; i < format.length(); i++) {
            if (format.charAt(i) == ']') {
                int[] n = parseNum(format, 1, i);
                if (n[1] == 0 || n[2] != i) {
                    return new int[] {0, i + 1, 0};
                }
                return new int[] {n[0] - 1, i + 1, 1};
            }
        }
        return new int[] {0, 1, 0};
    }

    private void printArg(Object a, int verb) {
        arg = a;
        if (a == null) {
            if (verb == 'T' || verb == 'v') {
                padString("<nil>");
            } else {
                badVerb(verb);
            }
            return;
        }
        if (verb == 'T') {
            fmtS(GoValues.typeName(a));
            return;
        }
        if (verb == 'p') {
            badVerb(verb);
            return;
        }
        printValue(a, verb, 0);
    }

    private void printValue(Object v, int verb, int depth) {
        if (depth > 0 && v != null) {
            arg = v;
        }
        if (v == null) {
            // a nil interface inside a slice, map or struct prints as <nil> whatever the verb
            if (depth == 0) {
                buf.append("<invalid reflect.Value>");
            } else {
                buf.append(sharpV ? "interface {}(nil)" : "<nil>");
            }
            return;
        }
        if (v instanceof Boolean b) {
            if (verb == 't' || verb == 'v') {
                padString(b ? "true" : "false");
            } else {
                badVerb(verb);
            }
        } else if (v instanceof Long l) {
            fmtInteger(l, true, verb);
        } else if (v instanceof Double d) {
            fmtFloat(d, 64, verb);
        } else if (v instanceof GoNumber n) {
            if (n.isFloat()) {
                fmtFloat(n.type().equals("float32") ? (float) n.floatValue() : n.floatValue(), n.type().equals("float32") ? 32 : 64, verb);
            } else {
                fmtInteger(n.bits(), !n.isUnsigned(), verb);
            }
        } else if (v instanceof String s) {
            fmtString(s, verb);
        } else if (v instanceof Map<?, ?> m) {
            if (sharpV) {
                buf.append(GoValues.typeName(m)).append('{');
            } else {
                buf.append("map[");
            }
            boolean first = true;
            for (Map.Entry<String, Object> e : GoValues.sorted(m)) {
                if (!first) {
                    buf.append(sharpV ? ", " : " ");
                }
                first = false;
                printValue(e.getKey(), verb, depth + 1);
                buf.append(':');
                printValue(e.getValue(), verb, depth + 1);
            }
            buf.append(sharpV ? '}' : ']');
        } else if (GoValues.items(v) != null) {
            List<?> items = GoValues.items(v);
            if (sharpV) {
                buf.append(GoValues.typeName(v)).append('{');
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        buf.append(", ");
                    }
                    printValue(items.get(i), verb, depth + 1);
                }
                buf.append('}');
            } else {
                buf.append('[');
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        buf.append(' ');
                    }
                    printValue(items.get(i), verb, depth + 1);
                }
                buf.append(']');
            }
        } else if (v instanceof GoStruct s) {
            if (sharpV) {
                buf.append(s.type());
            }
            buf.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> f : s.fields().entrySet()) {
                if (!first) {
                    buf.append(sharpV ? ", " : " ");
                }
                first = false;
                if (plusV || sharpV) {
                    buf.append(f.getKey()).append(':');
                }
                printValue(f.getValue(), verb, depth + 1);
            }
            buf.append('}');
        } else if (v instanceof GoPointer p) {
            if (depth == 0 && p.target() instanceof GoStruct) {
                buf.append('&');
                printValue(p.target(), verb, depth + 1);
            } else if (p.target() == null) {
                if (verb == 'v') {
                    padString("<nil>");
                } else if (verb == 'b' || verb == 'o' || verb == 'd' || verb == 'x' || verb == 'X') {
                    // fmtPointer: the address as a number
                    fmtInteger(0, false, verb);
                } else {
                    badVerb(verb);
                }
            } else {
                // Go prints the address of a nested pointer; there is none to print here
                buf.append("0xc000000000");
            }
        } else if (v instanceof GoObject o) {
            // fmt's handleMethods: GoString for %#v, String for the verbs that take a string, else the fields
            if (sharpV && o.goString() != null) {
                fmtS(o.goString());
            } else if (!sharpV && (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')) {
                fmtString(o.string(), verb);
            } else {
                printValue(o.fields(), verb, depth);
            }
        } else {
            buf.append(v);
        }
    }

    private void badVerb(int verb) {
        buf.append("%!").appendCodePoint(verb).append('(');
        if (arg != null) {
            buf.append(GoValues.typeName(arg)).append('=');
            // Go keeps the flags, width and precision for the value inside
            printArg(arg, 'v');
        } else {
            buf.append("<nil>");
        }
        buf.append(')');
    }

    private void fmtString(String s, int verb) {
        switch (verb) {
            case 'v' -> {
                if (sharpV) {
                    fmtQ(s);
                } else {
                    fmtS(s);
                }
            }
            case 's' -> fmtS(s);
            case 'x' -> fmtSx(s, "0123456789abcdefx");
            case 'X' -> fmtSx(s, "0123456789ABCDEFX");
            case 'q' -> fmtQ(s);
            default -> badVerb(verb);
        }
    }

    private void fmtS(String s) {
        padString(truncate(s));
    }

    private String truncate(String s) {
        if (precPresent) {
            int n = prec;
            for (int i = 0; i < s.length();) {
                n--;
                if (n < 0) {
                    return s.substring(0, i);
                }
                i += Character.charCount(s.codePointAt(i));
            }
        }
        return s;
    }

    private void fmtQ(String s) {
        s = truncate(s);
        if (sharp && canBackquote(s)) {
            padString("`" + s + "`");
            return;
        }
        padString(plus ? quoteAscii(s) : quote(s));
    }

    private void fmtSx(String s, String digits) {
        byte[] b = GoBytes.bytes(s);
        int length = b.length;
        if (precPresent && prec < length) {
            length = prec;
        }
        int width = 2 * length;
        if (width > 0) {
            if (space) {
                if (sharp) {
                    width *= 2;
                }
                width += length - 1;
            } else if (sharp) {
                width += 2;
            }
        } else {
            if (widPresent) {
                writePadding(wid);
            }
            return;
        }
        if (widPresent && wid > width && !minus) {
            writePadding(wid - width);
        }
        if (sharp) {
            buf.append('0').append(digits.charAt(16));
        }
        for (int i = 0; i < length; i++) {
            if (space && i > 0) {
                buf.append(' ');
                if (sharp) {
                    buf.append('0').append(digits.charAt(16));
                }
            }
            int c = b[i] & 0xff;
            buf.append(digits.charAt(c >> 4)).append(digits.charAt(c & 0xf));
        }
        if (widPresent && wid > width && minus) {
            writePadding(wid - width);
        }
    }

    private void writePadding(int n) {
        for (int i = 0; i < n; i++) {
            buf.append(zero ? '0' : ' ');
        }
    }

    private void padString(String s) {
        if (!widPresent || wid == 0) {
            buf.append(s);
            return;
        }
        int width = wid - s.codePointCount(0, s.length());
        if (!minus) {
            writePadding(width);
            buf.append(s);
        } else {
            buf.append(s);
            writePadding(width);
        }
    }

    private void fmtInteger(long v, boolean signed, int verb) {
        switch (verb) {
            case 'v' -> {
                if (sharpV && !signed) {
                    // fmt0x64: 0x for this number only
                    boolean saved = sharp;
                    sharp = true;
                    integer(v, 16, signed, 'v', "0123456789abcdefx");
                    sharp = saved;
                } else {
                    integer(v, 10, signed, verb, "0123456789abcdefx");
                }
            }
            case 'd' -> integer(v, 10, signed, verb, "0123456789abcdefx");
            case 'b' -> integer(v, 2, signed, verb, "0123456789abcdefx");
            case 'o', 'O' -> integer(v, 8, signed, verb, "0123456789abcdefx");
            case 'x' -> integer(v, 16, signed, verb, "0123456789abcdefx");
            case 'X' -> integer(v, 16, signed, verb, "0123456789ABCDEFX");
            case 'c' -> padString(new String(Character.toChars(validRune(v, signed))));
            case 'q' -> padString(plus ? quoteRuneAscii(validRune(v, signed)) : quoteRune(validRune(v, signed)));
            case 'U' -> fmtUnicode(v);
            default -> badVerb(verb);
        }
    }

    private static int validRune(long v, boolean signed) {
        if ((!signed && (v < 0 || v > 0x10FFFF)) || (signed && (v < 0 || v > 0x10FFFF)) || (v >= 0xD800 && v < 0xE000)) {
            return 0xFFFD;
        }
        return (int) v;
    }

    private void fmtUnicode(long u) {
        String hex = Long.toHexString(u).toUpperCase();
        int p = precPresent && prec > 4 ? prec : 4;
        StringBuilder s = new StringBuilder("U+");
        for (int i = hex.length(); i < p; i++) {
            s.append('0');
        }
        s.append(hex);
        if (sharp && u >= 0 && u <= 0x10FFFF && isPrint((int) u)) {
            s.append(" '").appendCodePoint((int) u).append('\'');
        }
        boolean oldZero = zero;
        zero = false;
        padString(s.toString());
        zero = oldZero;
    }

    private void integer(long value, int base, boolean signed, int verb, String digits) {
        boolean negative = signed && value < 0;
        BigInteger u = signed ? BigInteger.valueOf(value).abs() : new BigInteger(Long.toUnsignedString(value));
        int p = 0;
        if (precPresent) {
            p = prec;
            if (p == 0 && u.signum() == 0) {
                boolean oldZero = zero;
                zero = false;
                writePadding(wid);
                zero = oldZero;
                return;
            }
        } else if (zero && widPresent) {
            p = wid;
            if (negative || plus || space) {
                p--;
            }
        }
        String d = u.toString(base);
        if (digits.charAt(10) == 'A') {
            d = d.toUpperCase();
        }
        StringBuilder s = new StringBuilder();
        for (int i = d.length(); i < p; i++) {
            s.append('0');
        }
        s.append(d);
        if (sharp) {
            switch (base) {
                case 2 -> s.insert(0, "0b");
                case 8 -> {
                    if (s.charAt(0) != '0') {
                        s.insert(0, '0');
                    }
                }
                case 16 -> s.insert(0, "0" + digits.charAt(16));
                default -> {
                }
            }
        }
        if (verb == 'O') {
            s.insert(0, "0o");
        }
        if (negative) {
            s.insert(0, '-');
        } else if (plus) {
            s.insert(0, '+');
        } else if (space) {
            s.insert(0, ' ');
        }
        boolean oldZero = zero;
        zero = false;
        padString(s.toString());
        zero = oldZero;
    }

    private void fmtFloat(double v, int size, int verb) {
        switch (verb) {
            case 'v' -> floatVerb(v, size, 'g', -1);
            case 'g', 'G', 'b', 'x', 'X' -> floatVerb(v, size, verb, -1);
            case 'f', 'e', 'E' -> floatVerb(v, size, verb, 6);
            case 'F' -> floatVerb(v, size, 'f', 6);
            default -> badVerb(verb);
        }
    }

    private void floatVerb(double v, int size, int verb, int precision) {
        int p = precPresent ? prec : precision;
        String formatted = formatFloat(v, (char) verb, p, size);
        StringBuilder num = new StringBuilder();
        if (formatted.startsWith("-") || formatted.startsWith("+")) {
            num.append(formatted);
        } else {
            num.append('+').append(formatted);
        }
        if (space && num.charAt(0) == '+' && !plus) {
            num.setCharAt(0, ' ');
        }
        if (num.charAt(1) == 'I' || num.charAt(1) == 'N') {
            boolean oldZero = zero;
            zero = false;
            if (num.charAt(1) == 'N' && !space && !plus) {
                num.deleteCharAt(0);
            }
            padString(num.toString());
            zero = oldZero;
            return;
        }
        if (sharp) {
            int digits = 0;
            if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') {
                digits = p == -1 ? 6 : p;
            }
            String tail = "";
            boolean hasDecimalPoint = false;
            boolean sawNonzeroDigit = false;
            for (int i = 1; i < num.length(); i++) {
                char c = num.charAt(i);
                if (c == '.') {
                    hasDecimalPoint = true;
                } else if (c == 'p' || c == 'P') {
                    tail = num.substring(i);
                    num.setLength(i);
                    break;
                } else if ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X') {
                    tail = num.substring(i);
                    num.setLength(i);
                    break;
                } else {
                    if (c != '0') {
                        sawNonzeroDigit = true;
                    }
                    if (sawNonzeroDigit) {
                        digits--;
                    }
                }
            }
            if (!hasDecimalPoint) {
                if (num.length() == 2 && num.charAt(1) == '0') {
                    digits--;
                }
                num.append('.');
            }
            while (digits > 0) {
                num.append('0');
                digits--;
            }
            num.append(tail);
        }
        if (plus || num.charAt(0) != '+') {
            if (zero && widPresent && wid > num.length()) {
                buf.append(num.charAt(0));
                writePadding(wid - num.length());
                buf.append(num, 1, num.length());
                return;
            }
            padString(num.toString());
            return;
        }
        padString(num.substring(1));
    }

    /** strconv.FormatFloat(v, fmt, prec, bitSize) for 'e', 'E', 'f', 'g', 'G'; prec -1: the shortest that reads back. */
    public static String formatFloat(double v, char fmt, int prec, int bitSize) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (fmt == 'b' || fmt == 'x' || fmt == 'X') {
            return binaryFloat(v, fmt, prec, bitSize);
        }
        boolean neg = v < 0 || (v == 0 && 1 / v < 0);
        double a = Math.abs(v);
        String digits;
        int exp10;
        boolean shortest = prec < 0;
        if (a == 0) {
            digits = "0";
            exp10 = 0;
        } else {
            BigDecimal exact = new BigDecimal(a);
            if (shortest) {
                String[] sh = shortest(a, bitSize);
                digits = sh[0];
                exp10 = Integer.parseInt(sh[1]);
            } else {
                int sig;
                switch (fmt) {
                    case 'e', 'E' -> sig = prec + 1;
                    case 'f' -> {
                        BigDecimal r = exact.setScale(prec, RoundingMode.HALF_EVEN);
                        String plain = r.toPlainString();
                        return (neg ? "-" : "") + plain;
                    }
                    default -> sig = prec == 0 ? 1 : prec;
                    // 'g': prec significant digits
                }
                BigDecimal r = exact.round(new MathContext(sig, RoundingMode.HALF_EVEN));
                digits = r.unscaledValue().toString();
                exp10 = digits.length() - 1 - r.scale();
                digits = stripTrailingZeros(digits);
                if (digits.isEmpty()) {
                    digits = "0";
                }
            }
        }
        StringBuilder out = new StringBuilder(neg ? "-" : "");
        switch (fmt) {
            case 'e', 'E' -> {
                int p = shortest ? digits.length() - 1 : prec;
                exponential(out, digits, exp10, p, fmt);
            }
            case 'f' -> {
                int p = shortest ? Math.max(digits.length() - exp10 - 1, 0) : prec;
                fixed(out, digits, exp10, p);
            }
            default -> {
                int nd = digits.length();
                int dp = exp10 + 1;
                int p = shortest ? nd : prec == 0 ? 1 : prec;
                int eprec = p;
                if (eprec > nd && nd >= dp) {
                    eprec = nd;
                }
                if (shortest) {
                    eprec = 6;
                }
                int exp = dp - 1;
                if (exp < -4 || exp >= eprec) {
                    if (p > nd) {
                        p = nd;
                    }
                    exponential(out, digits, exp10, p - 1, fmt == 'G' ? 'E' : 'e');
                } else {
                    if (p > dp) {
                        p = nd;
                    }
                    fixed(out, digits, exp10, Math.max(p - dp, 0));
                }
            }
        }
        return out.toString();
    }

    /** strconv's 'b' (mantissa p exponent) and 'x'/'X' (hexadecimal mantissa and binary exponent). */
    private static String binaryFloat(double v, char fmt, int prec, int bitSize) {
        int mantbits = bitSize == 32 ? 23 : 52;
        int expbits = bitSize == 32 ? 8 : 11;
        int bias = bitSize == 32 ? -127 : -1023;
        long bits = bitSize == 32 ? Float.floatToRawIntBits((float) v) & 0xffffffffL : Double.doubleToRawLongBits(v);
        boolean neg = (bits >>> (expbits + mantbits)) != 0;
        int exp = (int) (bits >>> mantbits) & ((1 << expbits) - 1);
        long mant = bits & ((1L << mantbits) - 1);
        if (exp == 0) {
            exp++;
        } else {
            mant |= 1L << mantbits;
        }
        exp += bias;
        StringBuilder out = new StringBuilder();
        if (fmt == 'b') {
            if (neg) {
                out.append('-');
            }
            out.append(mant).append('p');
            int e = exp - mantbits;
            out.append(e >= 0 ? "+" : "").append(e);
            return out.toString();
        }
        if (mant == 0) {
            exp = 0;
        }
        mant <<= 60 - mantbits;
        while (mant != 0 && (mant & (1L << 60)) == 0) {
            mant <<= 1;
            exp--;
        }
        if (prec >= 0 && prec < 15) {
            int shift = prec * 4;
            long extra = (mant << shift) & ((1L << 60) - 1);
            mant >>>= 60 - shift;
            if (Long.compareUnsigned(extra | (mant & 1), 1L << 59) > 0) {
                mant++;
            }
            mant <<= 60 - shift;
            if ((mant & (1L << 61)) != 0) {
                mant >>>= 1;
                exp++;
            }
        }
        String hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        if (neg) {
            out.append('-');
        }
        out.append('0').append(fmt).append((char) ('0' + ((mant >>> 60) & 1)));
        mant <<= 4;
        if (prec < 0 && mant != 0) {
            out.append('.');
            while (mant != 0) {
                out.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        } else if (prec > 0) {
            out.append('.');
            for (int i = 0; i < prec; i++) {
                out.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        }
        out.append(fmt == 'X' ? 'P' : 'p');
        if (exp < 0) {
            out.append('-');
            exp = -exp;
        } else {
            out.append('+');
        }
        if (exp < 10) {
            out.append('0');
        }
        out.append(exp);
        return out.toString();
    }

    private static String stripTrailingZeros(String d) {
        int end = d.length();
        while (end > 1 && d.charAt(end - 1) == '0') {
            end--;
        }
        return d.substring(0, end);
    }

    /** The shortest decimal digits that read back as {@code a}, and the exponent of the first digit. */
    private static String[] shortest(double a, int bitSize) {
        BigDecimal exact = new BigDecimal(bitSize == 32 ? (double) (float) a : a);
        for (int sig = 1; sig <= 17; sig++) {
            BigDecimal r = exact.round(new MathContext(sig, RoundingMode.HALF_EVEN));
            boolean same = bitSize == 32 ? r.floatValue() == (float) a : r.doubleValue() == a;
            if (same) {
                String digits = stripTrailingZeros(r.unscaledValue().toString());
                int exp10 = r.unscaledValue().toString().length() - 1 - r.scale();
                return new String[] {digits, Integer.toString(exp10)};
            }
        }
        BigDecimal r = exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
        return new String[] {stripTrailingZeros(r.unscaledValue().toString()), Integer.toString(r.unscaledValue().toString().length() - 1 - r.scale())};
    }

    private static void exponential(StringBuilder out, String digits, int exp10, int prec, char fmt) {
        out.append(digits.charAt(0));
        if (prec > 0) {
            out.append('.');
            for (int i = 1; i <= prec; i++) {
                out.append(i < digits.length() ? digits.charAt(i) : '0');
            }
        }
        int exp = digits.equals("0") ? 0 : exp10;
        out.append(fmt).append(exp < 0 ? '-' : '+');
        int e = Math.abs(exp);
        if (e < 10) {
            out.append('0');
        }
        out.append(e);
    }

    private static void fixed(StringBuilder out, String digits, int exp10, int prec) {
        if (exp10 >= 0) {
            for (int i = 0; i <= exp10; i++) {
                out.append(i < digits.length() ? digits.charAt(i) : '0');
            }
        } else {
            out.append('0');
        }
        if (prec > 0) {
            out.append('.');
            for (int i = 1; i <= prec; i++) {
                int idx = exp10 + i;
                out.append(idx >= 0 && idx < digits.length() ? digits.charAt(idx) : '0');
            }
        }
    }

    /** strconv.Quote. */
    public static String quote(String s) {
        return quoteWith(s, '"', false);
    }

    private static String quoteAscii(String s) {
        return quoteWith(s, '"', true);
    }

    private static String quoteRune(int r) {
        return quoteWith(new String(Character.toChars(r)), '\'', false);
    }

    private static String quoteRuneAscii(int r) {
        return quoteWith(new String(Character.toChars(r)), '\'', true);
    }

    private static String quoteWith(String s, char quote, boolean asciiOnly) {
        StringBuilder b = new StringBuilder().append(quote);
        for (int i = 0; i < s.length();) {
            if (GoBytes.isRawByte(s, i)) {
                // a byte that is not UTF-8: Go writes it as \xNN
                b.append("\\x").append(String.format("%02x", s.charAt(i) - 0xDC00));
                i++;
                continue;
            }
            int r = s.codePointAt(i);
            i += Character.charCount(r);
            if (r == quote || r == '\\') {
                b.append('\\').appendCodePoint(r);
                continue;
            }
            if (asciiOnly ? r < 0x80 && isPrint(r) : isPrint(r)) {
                b.appendCodePoint(r);
                continue;
            }
            switch (r) {
                case 7 -> b.append("\\a");
                case 8 -> b.append("\\b");
                case 12 -> b.append("\\f");
                case 10 -> b.append("\\n");
                case 13 -> b.append("\\r");
                case 9 -> b.append("\\t");
                case 11 -> b.append("\\v");
                default -> {
                    if (r < ' ' || r == 0x7f) {
                        b.append("\\x").append(String.format("%02x", r));
                    } else if (r < 0x10000) {
                        b.append("\\u").append(String.format("%04x", r));
                    } else {
                        b.append("\\U").append(String.format("%08x", r));
                    }
                }
            }
        }
        return b.append(quote).toString();
    }

    /** strconv.IsPrint, close enough for the Basic Multilingual Plane: letters, marks, numbers, punctuation, symbols and U+0020. */
    static boolean isPrint(int r) {
        if (r == ' ') {
            return true;
        }
        if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad) {
            return false;
        }
        int t = Character.getType(r);
        return switch (t) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER,
                 Character.OTHER_LETTER, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                 Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.CONNECTOR_PUNCTUATION,
                 Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                 Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    private static boolean canBackquote(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < ' ' && c != '\t') || c == '`' || c == 0x7f || c == '\uFEFF') {
                return false;
            }
        }
        return true;
    }

    /** %#U of a rune, as the lexer's errors write it: {@code U+0041 'A'}. */
    static String unicode(int r) {
        if (r < 0) {
            return "U+FFFFFFFFFFFFFFFF";
        }
        String hex = Integer.toHexString(r).toUpperCase();
        StringBuilder s = new StringBuilder("U+");
        for (int i = hex.length(); i < 4; i++) {
            s.append('0');
        }
        s.append(hex);
        if (isPrint(r)) {
            s.append(" '").appendCodePoint(r).append('\'');
        }
        return s.toString();
    }
}
