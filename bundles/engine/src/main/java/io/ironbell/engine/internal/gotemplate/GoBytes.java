package io.ironbell.engine.internal.gotemplate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Go strings are bytes; Java strings are UTF-16. A byte that is not part of valid UTF-8 (what
 * {@code b64dec}, {@code substr} or {@code "\xff"} can make) is held in a Java string as the lone
 * low surrogate U+DC00 + byte (as Python's "surrogateescape" does), so that lengths, indexes,
 * slices and digests see Go's bytes, and Go's forms of such bytes ({@code \xff} in %q, U+FFFD
 * where Go's JSON or case mapping writes one) can be written.
 */
final class GoBytes {

    private GoBytes() {
    }

    /** Whether the character stands for a byte that was not UTF-8. */
    static boolean isRawByte(String s, int i) {
        char c = s.charAt(i);
        return c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /** The string's bytes as Go holds them. */
    static byte[] bytes(String s) {
        boolean plain = true;
        for (int i = 0; i < s.length() && plain; i++) {
            char c = s.charAt(i);
            plain = c < 0xD800 || c > 0xDFFF || Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                    || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
        if (plain) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
        for (int i = 0; i < s.length();) {
            if (isRawByte(s, i)) {
                out.write(s.charAt(i) - 0xDC00);
                i++;
                continue;
            }
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            byte[] b = s.substring(i, i + n).getBytes(StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
            i += n;
        }
        return out.toByteArray();
    }

    static int length(String s) {
        return bytes(s).length;
    }

    /** Bytes as a Go string: valid UTF-8 as characters, every other byte as its stand-in. */
    static String string(byte[] b, int off, int len) {
        StringBuilder out = new StringBuilder(len);
        int end = off + len;
        for (int i = off; i < end;) {
            int c = b[i] & 0xff;
            int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            if (n == 1) {
                out.append((char) c);
                i++;
                continue;
            }
            int cp = valid(b, i, end, n);
            if (cp < 0) {
                out.append((char) (0xDC00 + c));
                i++;
            } else {
                out.appendCodePoint(cp);
                i += n;
            }
        }
        return out.toString();
    }

    static String string(byte[] b) {
        return string(b, 0, b.length);
    }

    /** The code point of a well-formed UTF-8 sequence of n bytes at i, or -1. */
    private static int valid(byte[] b, int i, int end, int n) {
        if (n == 0 || i + n > end) {
            return -1;
        }
        int c = b[i] & 0xff;
        int cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        for (int k = 1; k < n; k++) {
            int x = b[i + k] & 0xff;
            if ((x & 0xc0) != 0x80) {
                return -1;
            }
            cp = cp << 6 | x & 0x3f;
        }
        if (n == 3 && (cp < 0x800 || cp >= 0xD800 && cp <= 0xDFFF) || n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) {
            return -1;
        }
        return cp;
    }

    /** The bytes from..to of s as Go slices a string. */
    static String slice(String s, int from, int to) {
        return string(bytes(s), from, to - from);
    }
}
