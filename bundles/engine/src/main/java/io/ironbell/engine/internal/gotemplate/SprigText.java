package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Sprig's text functions beyond the basic ones: goutils' abbreviations, initials, case swapping
 * and wrapping (byte by byte where goutils works on bytes), base32, and the regular expressions
 * (Go's RE2 syntax on Java's engine: what RE2 does not have, lookaround and backreferences, is
 * refused as Go refuses it; matches, replacements and splits follow Go's rules for empty matches
 * and {@code $name} expansion).
 */
final class SprigText {

    private SprigText() {
    }

    private static final String S = "string";
    private static final String I = "int";

    static void register(Map<String, Function> m) {
        m.put("abbrev", new Fn(List.of(I, S), false, a -> abbrev((Long) a.get(0), (String) a.get(1))));
        m.put("abbrevboth", new Fn(List.of(I, I, S), false, a -> abbrevBoth((Long) a.get(0), (Long) a.get(1), (String) a.get(2))));
        m.put("initials", new Fn(List.of(S), false, a -> initials((String) a.get(0))));
        m.put("swapcase", new Fn(List.of(S), false, a -> swapCase((String) a.get(0))));
        m.put("wrap", new Fn(List.of(I, S), false, a -> wrap((String) a.get(1), (Long) a.get(0), "\n", false)));
        m.put("wrapWith", new Fn(List.of(I, S, S), false, a -> wrap((String) a.get(2), (Long) a.get(0), (String) a.get(1), true)));
        m.put("b32enc", new Fn(List.of(S), false, a -> base32((String) a.get(0))));
        m.put("b32dec", new Fn(List.of(S), false, a -> base32Decode((String) a.get(0))));
        m.put("regexMatch", new Fn(List.of(S, S), false, a -> compileOrFalse((String) a.get(0)) != null
                && compileOrFalse((String) a.get(0)).matcher((String) a.get(1)).find()));
        m.put("mustRegexMatch", new Fn(List.of(S, S), false, a -> compile((String) a.get(0)).matcher((String) a.get(1)).find()));
        m.put("regexFind", new Fn(List.of(S, S), false, a -> find(compile((String) a.get(0)), (String) a.get(1))));
        m.put("mustRegexFind", m.get("regexFind"));
        m.put("regexFindAll", new Fn(List.of(S, S, I), false, a -> findAll(compile((String) a.get(0)), (String) a.get(1), (Long) a.get(2))));
        m.put("mustRegexFindAll", m.get("regexFindAll"));
        m.put("regexReplaceAll", new Fn(List.of(S, S, S), false, a -> replaceAll(compile((String) a.get(0)), (String) a.get(1),
                (String) a.get(2), true)));
        m.put("mustRegexReplaceAll", m.get("regexReplaceAll"));
        m.put("regexReplaceAllLiteral", new Fn(List.of(S, S, S), false, a -> replaceAll(compile((String) a.get(0)), (String) a.get(1),
                (String) a.get(2), false)));
        m.put("mustRegexReplaceAllLiteral", m.get("regexReplaceAllLiteral"));
        m.put("regexSplit", new Fn(List.of(S, S, I), false, a -> split(compile((String) a.get(0)), (String) a.get(1), (Long) a.get(2))));
        m.put("mustRegexSplit", m.get("regexSplit"));
        m.put("regexQuoteMeta", new Fn(List.of(S), false, a -> quoteMeta((String) a.get(0))));
        m.put("camelcase", new Fn(List.of(S), false, a -> camelCase((String) a.get(0))));
        m.put("snakecase", new Fn(List.of(S), false, a -> lowerCaseWords((String) a.get(0), '_')));
        m.put("kebabcase", new Fn(List.of(S), false, a -> lowerCaseWords((String) a.get(0), '-')));
    }

    // ---- huandu/xstrings' case conversions, on code points (a byte that is not UTF-8 is skipped as xstrings skips RuneError) ----

    private static final int INVALID = 0;
    private static final int NUMBER = 1;
    private static final int UPPER = 2;
    private static final int ALPHABET = 3;
    private static final int CONNECTOR = 4;
    private static final int PUNCT = 5;
    private static final int OTHER = 6;

    private static boolean isConnector(int r) {
        return r == '-' || r == '_' || goSpace(r);
    }

    private static boolean isAlphabet(int r) {
        if (!Character.isLetter(r)) {
            return false;
        }
        if (r < 0x3400) {
            return true;
        }
        Character.UnicodeScript script = Character.UnicodeScript.of(r);
        return script != Character.UnicodeScript.HAN && script != Character.UnicodeScript.HIRAGANA
                && script != Character.UnicodeScript.KATAKANA && script != Character.UnicodeScript.HANGUL;
    }

    private static boolean isPunct(int r) {
        int t = Character.getType(r);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    private static boolean isNumber(int r) {
        int t = Character.getType(r);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** One word: its type and the index after it, in the code points from {@code start}. */
    private static int[] nextWord(int[] cps, int start) {
        int n = cps.length;
        // xstrings skips bytes that are not UTF-8 (and U+FFFD, which decodes as the same error) to the first rune that is
        long v = nextValid(cps, start, INVALID_RUNE);
        int r = rune(v);
        int i = end(v);
        if (r == INVALID_RUNE) {
            return new int[] {INVALID, i};
        }
        int type;
        if (isConnector(r)) {
            type = CONNECTOR;
            while (i < n && isConnector(r = rune(v = nextValid(cps, i, r)))) {
                i = end(v);
            }
        } else if (isPunct(r)) {
            type = PUNCT;
            while (i < n && isPunct(r = rune(v = nextValid(cps, i, r)))) {
                i = end(v);
            }
        } else if (Character.isUpperCase(r)) {
            type = UPPER;
            if (i < n) {
                r = rune(v = nextValid(cps, i, r));
                if (Character.isUpperCase(r)) {
                    int last = i;
                    i = end(v);
                    while (i < n) {
                        r = rune(v = nextValid(cps, i, r));
                        if (!Character.isUpperCase(r)) {
                            break;
                        }
                        last = i;
                        i = end(v);
                    }
                    // "HTTPStatus": the S starts the next word
                    if (i < n && isAlphabet(r)) {
                        i = last;
                    }
                } else if (isAlphabet(r)) {
                    i = end(v);
                    while (i < n) {
                        r = rune(v = nextValid(cps, i, r));
                        if (!isAlphabet(r) || Character.isUpperCase(r)) {
                            break;
                        }
                        i = end(v);
                    }
                }
            }
        } else if (isAlphabet(r)) {
            type = ALPHABET;
            while (i < n) {
                r = rune(v = nextValid(cps, i, r));
                if (!isAlphabet(r) || Character.isUpperCase(r)) {
                    break;
                }
                i = end(v);
            }
        } else if (isNumber(r)) {
            type = NUMBER;
            while (i < n && isNumber(r = rune(v = nextValid(cps, i, r)))) {
                i = end(v);
            }
        } else {
            type = OTHER;
            while (i < n) {
                r = rune(v = nextValid(cps, i, r));
                if (isConnector(r) || isAlphabet(r) || isNumber(r) || isPunct(r)) {
                    break;
                }
                i = end(v);
            }
        }
        return new int[] {type, i};
    }

    /** utf8.RuneError, what xstrings compares with. */
    private static final int INVALID_RUNE = 0xFFFD;

    /** xstrings' nextValidRune: the first rune from {@code i} that is UTF-8 and the index after it; {@code prev} and the end when none is. */
    private static long nextValid(int[] cps, int i, int prev) {
        for (int k = i; k < cps.length; k++) {
            if (cps[k] >= 0 && cps[k] != INVALID_RUNE) {
                return (long) cps[k] << 32 | (k + 1);
            }
        }
        return (long) prev << 32 | cps.length;
    }

    private static int rune(long v) {
        return (int) (v >>> 32);
    }

    private static int end(long v) {
        return (int) v;
    }

    private static int[] codePoints(String s) {
        int[] out = new int[s.length()];
        int n = 0;
        for (int i = 0; i < s.length();) {
            if (GoBytes.isRawByte(s, i)) {
                out[n++] = -1;
                i++;
                continue;
            }
            int c = s.codePointAt(i);
            out[n++] = c;
            i += Character.charCount(c);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void toLower(StringBuilder buf, int type, int[] cps, int from, int to, char connector) {
        for (int i = from; i < to; i++) {
            int r = cps[i];
            if (r < 0) {
                buf.append('\uFFFD');
            } else if (type != UPPER && type != CONNECTOR) {
                buf.appendCodePoint(r);
            } else if (isConnector(r)) {
                buf.append(connector);
            } else if (Character.isUpperCase(r)) {
                buf.appendCodePoint(Character.toLowerCase(r));
            } else {
                buf.appendCodePoint(r);
            }
        }
    }

    /** xstrings' camelCaseToLowerCase (snakecase, kebabcase). */
    private static String lowerCaseWords(String str, char connector) {
        if (str.isEmpty()) {
            return "";
        }
        int[] cps = codePoints(str);
        StringBuilder buf = new StringBuilder();
        int[] w = nextWord(cps, 0);
        int wt = w[0];
        int wStart = 0;
        int wEnd = w[1];
        while (wEnd < cps.length) {
            if (wt != CONNECTOR) {
                toLower(buf, wt, cps, wStart, wEnd, connector);
            }
            int prev = wt;
            int lastStart = wStart;
            int lastEnd = wEnd;
            w = nextWord(cps, wEnd);
            wt = w[0];
            wStart = wEnd;
            wEnd = w[1];
            if (prev == NUMBER) {
                while (wt == ALPHABET || wt == NUMBER) {
                    toLower(buf, wt, cps, wStart, wEnd, connector);
                    if (wEnd >= cps.length) {
                        wt = INVALID;
                        wStart = wEnd;
                        break;
                    }
                    w = nextWord(cps, wEnd);
                    wt = w[0];
                    wStart = wEnd;
                    wEnd = w[1];
                }
                if (wt != INVALID && wt != PUNCT && wt != CONNECTOR) {
                    buf.append(connector);
                }
            } else if (prev == CONNECTOR) {
                toLower(buf, prev, cps, lastStart, lastEnd, connector);
            } else if (prev != PUNCT) {
                if (wt != NUMBER) {
                    if (wt != CONNECTOR && wt != PUNCT) {
                        buf.append(connector);
                    }
                    continue;
                }
                if (wEnd >= cps.length) {
                    continue;
                }
                int numStart = wStart;
                int numEnd = wEnd;
                w = nextWord(cps, wEnd);
                wt = w[0];
                wStart = wEnd;
                wEnd = w[1];
                if (wt != ALPHABET) {
                    toLower(buf, NUMBER, cps, numStart, numEnd, connector);
                    if (wt != CONNECTOR && wt != PUNCT) {
                        buf.append(connector);
                    }
                    continue;
                }
                buf.append(connector);
                toLower(buf, NUMBER, cps, numStart, numEnd, connector);
                while (wt == ALPHABET || wt == NUMBER) {
                    toLower(buf, wt, cps, wStart, wEnd, connector);
                    if (wEnd >= cps.length) {
                        wt = INVALID;
                        wStart = wEnd;
                        break;
                    }
                    w = nextWord(cps, wEnd);
                    wt = w[0];
                    wStart = wEnd;
                    wEnd = w[1];
                }
                if (wt != INVALID && wt != CONNECTOR && wt != PUNCT) {
                    buf.append(connector);
                }
            }
        }
        toLower(buf, wt, cps, wStart, wEnd, connector);
        return buf.toString();
    }

    /** xstrings' ToCamelCase. */
    private static String camelCase(String str) {
        if (str.isEmpty()) {
            return "";
        }
        int[] cps = codePoints(str);
        StringBuilder buf = new StringBuilder();
        int i = 0;
        int r0 = 0;
        boolean any = false;
        while (i < cps.length) {
            r0 = cps[i] < 0 ? 0xFFFD : cps[i];
            i++;
            any = true;
            if (!isConnector(r0)) {
                r0 = Character.toUpperCase(r0);
                break;
            }
            buf.appendCodePoint(r0);
        }
        if (i >= cps.length) {
            if (any && !isConnector(r0) || any && cps.length == 1) {
                buf.appendCodePoint(r0);
            }
            return buf.toString();
        }
        while (i < cps.length) {
            int r1 = r0;
            r0 = cps[i] < 0 ? 0xFFFD : cps[i];
            i++;
            if (isConnector(r0) && isConnector(r1)) {
                buf.appendCodePoint(r1);
                continue;
            }
            if (isConnector(r1)) {
                r0 = Character.toUpperCase(r0);
            } else {
                r0 = Character.toLowerCase(r0);
                buf.appendCodePoint(r1);
            }
        }
        buf.appendCodePoint(r0);
        return buf.toString();
    }

    private static byte[] utf8(String s) {
        return GoBytes.bytes(s);
    }

    /** The bytes of s from..to as Go slices a string. */
    private static String bytes(String s, int from, int to) {
        return GoBytes.slice(s, from, to);
    }

    private static String abbrev(long width, String s) {
        if (width < 4) {
            return s;
        }
        return abbreviateFull(s, 0, (int) width);
    }

    private static String abbrevBoth(long left, long right, String s) {
        if (right < 4 || left > 0 && right < 7) {
            return s;
        }
        return abbreviateFull(s, (int) left, (int) right);
    }

    /** goutils' AbbreviateFull (its error turns into "", as Sprig drops it). */
    private static String abbreviateFull(String str, int offset, int maxWidth) {
        int len = utf8(str).length;
        if (str.isEmpty()) {
            return "";
        }
        if (maxWidth < 4) {
            return "";
        }
        if (len <= maxWidth) {
            return str;
        }
        if (offset > len) {
            offset = len;
        }
        if (len - offset < maxWidth - 3) {
            offset = len - (maxWidth - 3);
        }
        if (offset <= 4) {
            return bytes(str, 0, maxWidth - 3) + "...";
        }
        if (maxWidth < 7) {
            return "";
        }
        if (offset + maxWidth - 3 < len) {
            return "..." + abbreviateFull(bytes(str, offset, len), 0, maxWidth - 3);
        }
        return "..." + bytes(str, len - (maxWidth - 3), len);
    }

    private static boolean goSpace(int c) {
        return c == ' ' || c >= 9 && c <= 13 || c == 0x85 || c == 0xa0 || c > 0xff && Character.isWhitespace(c)
                || c == 0x2007 || c == 0x202f || c == 0x3000 || c == 0x1680 || c >= 0x2000 && c <= 0x200a || c == 0x2028 || c == 0x2029
                || c == 0x205f;
    }

    /** goutils' Initials, byte by byte (a byte beyond ASCII becomes the character of that number, as Go's rune(str[i]) does). */
    private static String initials(String s) {
        StringBuilder out = new StringBuilder();
        boolean gap = true;
        for (byte x : utf8(s)) {
            int ch = x & 0xff;
            if (goSpace(ch)) {
                gap = true;
            } else if (gap) {
                out.appendCodePoint(ch);
                gap = false;
            }
        }
        return out.toString();
    }

    /** goutils' SwapCase: upper to lower, lower to upper (title case after whitespace). */
    private static String swapCase(String s) {
        StringBuilder out = new StringBuilder();
        boolean whitespace = true;
        for (int i = 0; i < s.length();) {
            int ch = s.codePointAt(i);
            i += Character.charCount(ch);
            if (Character.isUpperCase(ch) || Character.isTitleCase(ch)) {
                out.appendCodePoint(Character.toLowerCase(ch));
                whitespace = false;
            } else if (Character.isLowerCase(ch)) {
                out.appendCodePoint(whitespace ? Character.toTitleCase(ch) : Character.toUpperCase(ch));
                whitespace = false;
            } else {
                out.appendCodePoint(ch);
                whitespace = goSpace(ch);
            }
        }
        return out.toString();
    }

    /** goutils' WrapCustom, on bytes. */
    private static String wrap(String str, long wrapLength, String newLine, boolean wrapLongWords) {
        if (str.isEmpty()) {
            return "";
        }
        if (newLine.isEmpty()) {
            newLine = "\n";
        }
        int wl = (int) Math.max(1, Math.min(wrapLength, Integer.MAX_VALUE / 2));
        byte[] b = utf8(str);
        int len = b.length;
        int offset = 0;
        StringBuilder out = new StringBuilder();
        while (len - offset > wl) {
            if (b[offset] == ' ') {
                offset++;
                continue;
            }
            int end = Math.min(wl + offset + 1, len);
            int space = -1;
            for (int i = end - 1; i >= offset; i--) {
                if (b[i] == ' ') {
                    space = i;
                    break;
                }
            }
            if (space >= offset) {
                out.append(bytes(str, offset, space)).append(newLine);
                offset = space + 1;
            } else if (wrapLongWords) {
                out.append(bytes(str, offset, wl + offset)).append(newLine);
                offset += wl;
            } else {
                int from = wl + offset;
                int index = -1;
                for (int i = from; i < len; i++) {
                    if (b[i] == ' ') {
                        index = i - from;
                        break;
                    }
                }
                if (index == -1) {
                    out.append(bytes(str, offset, len));
                    offset = len;
                } else {
                    int space2 = index + wl + offset;
                    out.append(bytes(str, offset, space2)).append(newLine);
                    offset = space2 + 1;
                }
            }
        }
        out.append(bytes(str, offset, len));
        return out.toString();
    }

    /** base32.StdEncoding.EncodeToString. */
    private static String base32(String s) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        byte[] b = utf8(s);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < b.length; i += 5) {
            long chunk = 0;
            int n = Math.min(5, b.length - i);
            for (int j = 0; j < 5; j++) {
                chunk = (chunk << 8) | (j < n ? b[i + j] & 0xff : 0);
            }
            int chars = (n * 8 + 4) / 5;
            for (int j = 0; j < 8; j++) {
                out.append(j < chars ? alphabet.charAt((int) ((chunk >> (35 - 5 * j)) & 31)) : '=');
            }
        }
        return out.toString();
    }

    /** base32.StdEncoding.DecodeString, its error's text as the result (as Sprig returns it). */
    private static String base32Decode(String s) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        java.io.ByteArrayOutputStream stripped = new java.io.ByteArrayOutputStream();
        for (byte b : utf8(s)) {
            if (b != '\r' && b != '\n') {
                stripped.write(b);
            }
        }
        byte[] src = stripped.toByteArray();
        int olen = src.length;
        int pos = 0;
        java.io.ByteArrayOutputStream dst = new java.io.ByteArrayOutputStream();
        boolean end = false;
        while (pos < olen && !end) {
            int[] dbuf = new int[8];
            int dlen = 8;
            for (int j = 0; j < 8;) {
                int left = olen - pos;
                if (left == 0) {
                    return "illegal base32 data at input byte " + (olen - left - j);
                }
                int in = src[pos++] & 0xff;
                left = olen - pos;
                if (in == '=' && j >= 2 && left < 8) {
                    if (left + j < 8 - 1) {
                        return "illegal base32 data at input byte " + olen;
                    }
                    for (int k = 0; k < 8 - 1 - j; k++) {
                        if (left > k && src[pos + k] != '=') {
                            return "illegal base32 data at input byte " + (olen - left + k - 1);
                        }
                    }
                    dlen = j;
                    end = true;
                    if (dlen == 1 || dlen == 3 || dlen == 6) {
                        return "illegal base32 data at input byte " + (olen - left - 1);
                    }
                    break;
                }
                int v = in < 128 ? alphabet.indexOf(in) : -1;
                if (v < 0) {
                    return "illegal base32 data at input byte " + (olen - left - 1);
                }
                dbuf[j++] = v;
            }
            int[] out = {dbuf[0] << 3 | dbuf[1] >> 2, dbuf[1] << 6 | dbuf[2] << 1 | dbuf[3] >> 4, dbuf[3] << 4 | dbuf[4] >> 1,
                dbuf[4] << 7 | dbuf[5] << 2 | dbuf[6] >> 3, dbuf[6] << 5 | dbuf[7]};
            int n = switch (dlen) {
                case 8 -> 5;
                case 7 -> 4;
                case 5 -> 3;
                case 4 -> 2;
                case 2 -> 1;
                default -> 0;
            };
            for (int k = 0; k < n; k++) {
                dst.write(out[k] & 0xff);
            }
        }
        return GoBytes.string(dst.toByteArray());
    }

    private static Pattern compileOrFalse(String regex) {
        try {
            return compile(regex);
        } catch (FunctionError e) {
            return null;
        }
    }

    /** A Go regular expression on Java's engine; what RE2 refuses is refused. */
    static Pattern compile(String regex) {
        for (int i = 0; i < regex.length(); i++) {
            if (GoBytes.isRawByte(regex, i)) {
                throw new FunctionError("regexp: Compile(" + GoFmt.quote(regex) + "): error parsing regexp: invalid UTF-8");
            }
        }
        if (regex.contains("(?=") || regex.contains("(?!") || regex.contains("(?<=") || regex.contains("(?<!") || regex.contains("(?>")
                || regex.matches(".*\\\\[1-9].*") || regex.matches(".*[*+?}][+].*") || regex.contains("\\Z") || regex.contains("\\G")) {
            throw new FunctionError("regexp: Compile(" + GoFmt.quote(regex) + "): error parsing regexp: invalid or unsupported Perl syntax");
        }
        String java = endOfTextDollars(regex.replace("(?P<", "(?<"));
        for (String posix : List.of("alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
                "xdigit")) {
            java = java.replace("[:" + posix + ":]", "\\p{" + (posix.equals("ascii") ? "ASCII" : Character.toUpperCase(posix.charAt(0))
                    + posix.substring(1)) + "}");
        }
        try {
            return Pattern.compile(java);
        } catch (PatternSyntaxException e) {
            throw new FunctionError("regexp: Compile(" + GoFmt.quote(regex) + "): error parsing regexp: " + e.getDescription());
        }
    }

    /** Outside multi-line mode Go's $ is the end of the text only; Java's also matches before a final newline. */
    private static String endOfTextDollars(String regex) {
        if (regex.matches("(?s).*\\(\\?[a-zA-Z]*m.*")) {
            return regex;
        }
        StringBuilder out = new StringBuilder();
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                out.append(c).append(regex.charAt(++i));
                continue;
            }
            if (c == '[' && inClass) {
                // a [:name:] in a class is one piece; any other [ RE2 takes as itself, where Java would open a class in the class
                int posixEnd = regex.startsWith("[:", i) ? regex.indexOf(":]", i + 2) : -1;
                if (posixEnd >= 0) {
                    out.append(regex, i, posixEnd + 2);
                    i = posixEnd + 1;
                } else {
                    out.append("\\[");
                }
                continue;
            }
            if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            }
            out.append(c == '$' && !inClass ? "\\z" : String.valueOf(c));
        }
        return out.toString();
    }

    private static String find(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group() : "";
    }

    /** The matches as Go's FindAll finds them: an empty match right after a match is skipped. */
    private static List<int[]> matches(Pattern p, String s, long n) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int pos = 0;
        int prevEnd = -1;
        while ((n < 0 || out.size() < n) && pos <= s.length()) {
            if (!m.find(pos)) {
                break;
            }
            boolean accept = true;
            if (m.end() == pos && m.start() == m.end()) {
                if (m.start() == prevEnd) {
                    accept = false;
                }
                pos += pos < s.length() ? Character.charCount(s.codePointAt(pos)) : 1;
            } else {
                pos = m.end();
            }
            prevEnd = m.end();
            if (accept) {
                out.add(new int[] {m.start(), m.end()});
            }
        }
        return out;
    }

    private static GoSlice findAll(Pattern p, String s, long n) {
        List<Object> out = new ArrayList<>();
        if (n != 0) {
            for (int[] m : matches(p, s, n)) {
                out.add(s.substring(m[0], m[1]));
            }
        }
        return new GoSlice("string", out);
    }

    /** Go's ReplaceAllString ({@code expand}: $1, ${1}, $name; $$ is a dollar) or ReplaceAllLiteralString. */
    private static String replaceAll(Pattern p, String src, String repl, boolean expand) {
        StringBuilder out = new StringBuilder();
        Matcher m = p.matcher(src);
        int lastMatchEnd = 0;
        int searchPos = 0;
        while (searchPos <= src.length()) {
            if (!m.find(searchPos)) {
                break;
            }
            out.append(src, lastMatchEnd, m.start());
            if (m.end() > lastMatchEnd || m.start() == 0) {
                out.append(expand ? expand(repl, m) : repl);
            }
            lastMatchEnd = m.end();
            int width = searchPos < src.length() ? Character.charCount(src.codePointAt(searchPos)) : 1;
            if (searchPos + width > m.end()) {
                searchPos += width;
            } else if (searchPos + 1 > m.end()) {
                searchPos++;
            } else {
                searchPos = m.end();
            }
        }
        out.append(src.substring(Math.min(lastMatchEnd, src.length())));
        return out.toString();
    }

    private static String expand(String template, Matcher m) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < template.length();) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 >= template.length()) {
                out.append(c);
                i++;
                continue;
            }
            if (template.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            String name;
            int next;
            if (template.charAt(i + 1) == '{') {
                int close = template.indexOf('}', i + 2);
                if (close < 0 || close == i + 2 || !template.substring(i + 2, close).matches("[A-Za-z0-9_]+")) {
                    out.append('$');
                    i++;
                    continue;
                }
                name = template.substring(i + 2, close);
                next = close + 1;
            } else {
                int j = i + 1;
                while (j < template.length() && (Character.isLetterOrDigit(template.charAt(j)) && template.charAt(j) < 128
                        || template.charAt(j) == '_')) {
                    j++;
                }
                if (j == i + 1) {
                    out.append('$');
                    i++;
                    continue;
                }
                name = template.substring(i + 1, j);
                next = j;
            }
            String value = "";
            if (name.matches("[0-9]+")) {
                int g = name.length() > 9 ? -1 : Integer.parseInt(name);
                if (g >= 0 && g <= m.groupCount() && m.group(g) != null) {
                    value = m.group(g);
                }
            } else {
                try {
                    String v = m.group(name);
                    value = v == null ? "" : v;
                } catch (IllegalArgumentException noSuchGroup) {
                    value = "";
                }
            }
            out.append(value);
            i = next;
        }
        return out.toString();
    }

    /** Go's Regexp.Split. */
    private static GoSlice split(Pattern p, String s, long n) {
        List<Object> out = new ArrayList<>();
        if (n == 0) {
            return new GoSlice("string", out);
        }
        if (!p.pattern().isEmpty() && s.isEmpty()) {
            out.add("");
            return new GoSlice("string", out);
        }
        int beg = 0;
        int end = 0;
        for (int[] match : matches(p, s, n)) {
            if (n > 0 && out.size() == n - 1) {
                break;
            }
            end = match[0];
            if (match[1] != 0) {
                out.add(s.substring(beg, end));
            }
            beg = match[1];
        }
        if (end != s.length()) {
            out.add(s.substring(beg));
        }
        return new GoSlice("string", out);
    }

    private static String quoteMeta(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
