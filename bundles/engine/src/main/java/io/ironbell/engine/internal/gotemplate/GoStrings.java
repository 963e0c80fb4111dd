package io.ironbell.engine.internal.gotemplate;

import java.math.BigInteger;
import java.util.function.Function;

/**
 * Go's literal syntax as strconv reads it: quoted and raw strings, character constants, integers
 * with base prefixes and underscores, floats (decimal and hexadecimal). A byte escape beyond ASCII
 * ({@code "\xff"}) is a byte of its own, held as {@link GoBytes} holds such bytes.
 */
final class GoStrings {

    private GoStrings() {
    }

    /** strconv.Unquote of a {@code "..."}, {@code `...`} or {@code '...'} literal. */
    static String unquote(String in, Function<String, RuntimeException> error) {
        if (in.length() < 2) {
            throw error.apply("invalid syntax");
        }
        char quote = in.charAt(0);
        if (quote == '`') {
            if (in.charAt(in.length() - 1) != '`' || in.indexOf('`', 1) != in.length() - 1) {
                throw error.apply("invalid syntax");
            }
            return in.substring(1, in.length() - 1).replace("\r", "");
        }
        if (quote != '"' || in.charAt(in.length() - 1) != '"') {
            throw error.apply("invalid syntax");
        }
        // bytes, as Go builds the string: byte escapes beyond ASCII that make valid UTF-8 together ("\303\251") are a character
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int[] pos = {1};
        int end = in.length() - 1;
        while (pos[0] < end) {
            if (in.charAt(pos[0]) == '\n') {
                throw error.apply("invalid syntax");
            }
            int cp = unquoteChar(in, pos, '"', error);
            if (cp >= 0xDC80 && cp <= 0xDCFF) {
                out.write(cp - 0xDC00);
            } else {
                byte[] b = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        if (pos[0] != end) {
            throw error.apply("invalid syntax");
        }
        return GoBytes.string(out.toByteArray());
    }

    /** A character constant {@code 'x'}: its code point. */
    static int[] unquoteChar(String text, Function<String, RuntimeException> error) {
        int[] pos = {1};
        if (text.length() < 3 || text.charAt(1) == '\'') {
            throw error.apply("invalid syntax");
        }
        int r = unquoteChar(text, pos, '\'', error);
        if (pos[0] != text.length() - 1 || text.charAt(pos[0]) != '\'') {
            throw error.apply("malformed character constant: " + text);
        }
        return new int[] {r};
    }

    /** strconv.UnquoteChar: one character or escape at {@code pos[0]}, advancing it. */
    private static int unquoteChar(String s, int[] pos, char quote, Function<String, RuntimeException> error) {
        int c = s.codePointAt(pos[0]);
        if (c == quote && (quote == '\'' || quote == '"')) {
            throw error.apply("invalid syntax");
        }
        if (c != '\\') {
            pos[0] += Character.charCount(c);
            return c;
        }
        if (pos[0] + 1 >= s.length()) {
            throw error.apply("invalid syntax");
        }
        char e = s.charAt(pos[0] + 1);
        pos[0] += 2;
        switch (e) {
            case 'a':
                return 7;
            case 'b':
                return 8;
            case 'f':
                return 12;
            case 'n':
                return 10;
            case 'r':
                return 13;
            case 't':
                return 9;
            case 'v':
                return 11;
            case 'x':
            case 'u':
            case 'U': {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (pos[0] + n > s.length()) {
                    throw error.apply("invalid syntax");
                }
                int v = 0;
                for (int i = 0; i < n; i++) {
                    int d = Character.digit(s.charAt(pos[0] + i), 16);
                    if (d < 0) {
                        throw error.apply("invalid syntax");
                    }
                    v = v * 16 + d;
                }
                pos[0] += n;
                if (e == 'x') {
                    // a byte: beyond ASCII it is held as its stand-in (GoBytes)
                    return v >= 0x80 ? 0xDC00 + v : v;
                }
                if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
                    throw error.apply("invalid syntax");
                }
                return v;
            }
            case '0', '1', '2', '3', '4', '5', '6', '7': {
                int v = e - '0';
                if (pos[0] + 2 > s.length()) {
                    throw error.apply("invalid syntax");
                }
                for (int i = 0; i < 2; i++) {
                    int d = s.charAt(pos[0] + i) - '0';
                    if (d < 0 || d > 7) {
                        throw error.apply("invalid syntax");
                    }
                    v = v * 8 + d;
                }
                pos[0] += 2;
                if (v > 255) {
                    throw error.apply("invalid syntax");
                }
                return v >= 0x80 ? 0xDC00 + v : v;
            }
            case '\\':
                return '\\';
            case '\'':
            case '"':
                if (e != quote) {
                    throw error.apply("invalid syntax");
                }
                return e;
            default:
                throw error.apply("invalid syntax");
        }
    }

    /** strconv.ParseInt(text, 0, ...) without the size limit: null when it is not an integer literal. */
    static BigInteger parseInteger(String text) {
        String s = text;
        boolean negative = false;
        if (s.startsWith("+") || s.startsWith("-")) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            return null;
        }
        int base = 10;
        String digits = s;
        boolean prefixed = false;
        if (s.length() >= 2 && s.charAt(0) == '0') {
            char p = Character.toLowerCase(s.charAt(1));
            if (p == 'x' || p == 'o' || p == 'b') {
                base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
                digits = s.substring(2);
                prefixed = true;
            } else {
                base = 8;
                digits = s.substring(1);
                prefixed = true;
            }
        }
        if (s.indexOf('_') >= 0 && !underscoreOk(s)) {
            return null;
        }
        digits = digits.replace("_", "");
        if (digits.isEmpty()) {
            return prefixed && base == 8 ? BigInteger.ZERO : null;
        }
        for (int i = 0; i < digits.length(); i++) {
            if (Character.digit(digits.charAt(i), base) < 0) {
                return null;
            }
        }
        BigInteger v = new BigInteger(digits, base);
        return negative ? v.negate() : v;
    }

    /** strconv's underscoreOK: underscores only between digits, or between a base prefix and a digit. */
    private static boolean underscoreOk(String s) {
        char saw = '^';
        int i = 0;
        if (s.length() >= 1 && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            s = s.substring(1);
        }
        boolean hex = false;
        if (s.length() >= 2 && s.charAt(0) == '0' && "box".indexOf(Character.toLowerCase(s.charAt(1))) >= 0) {
            i = 2;
            saw = '0';
            hex = Character.toLowerCase(s.charAt(1)) == 'x';
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9' || hex && Character.digit(c, 16) >= 0) {
                saw = '0';
                continue;
            }
            if (c == '_') {
                if (saw != '0') {
                    return false;
                }
                saw = '_';
                continue;
            }
            if (saw == '_') {
                return false;
            }
            saw = '!';
        }
        return saw != '_';
    }

    /** strconv.ParseFloat(text, 64): null when it is not a float literal or is out of range. */
    static Double parseFloat(String text) {
        String s = text;
        if (s.indexOf('_') >= 0) {
            if (!underscoreOk(s)) {
                return null;
            }
            s = s.replace("_", "");
        }
        String body = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        boolean hex = body.length() > 1 && body.charAt(0) == '0' && Character.toLowerCase(body.charAt(1)) == 'x';
        if (hex ? !body.matches("0[xX]([0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")
                : !body.matches("([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
            return null;
        }
        double d;
        try {
            d = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
        return Double.isInfinite(d) ? null : d;
    }

    static double unsignedToDouble(long u) {
        double d = (double) (u >>> 1) * 2.0;
        return u >= 0 ? u : d + (u & 1);
    }
}
