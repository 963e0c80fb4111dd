package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Go's encoding/pem: Decode (the first well-formed block, whatever surrounds it) and Encode of a block without headers. */
final class GoPem {

    private GoPem() {
    }

    /** A block: its type (as a Go string) and its decoded bytes. */
    record Block(String type, byte[] bytes) {
    }

    private static final byte[] BEGIN = "\n-----BEGIN ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n-----END ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DASHES = "-----".getBytes(StandardCharsets.US_ASCII);

    /** pem.Decode: the first block, or null where there is none. */
    static Block decode(byte[] data) {
        int rest = 0;
        while (true) {
            if (startsWith(data, rest, BEGIN, 1)) {
                rest += BEGIN.length - 1;
            } else {
                int at = indexOf(data, rest, BEGIN);
                if (at < 0) {
                    return null;
                }
                rest = at + BEGIN.length;
            }
            int[] typeLine = line(data, rest);
            rest = typeLine[2];
            if (typeLine[1] - typeLine[0] < DASHES.length || !startsWith(data, typeLine[1] - DASHES.length, DASHES, 0)) {
                continue;
            }
            int typeStart = typeLine[0];
            int typeEnd = typeLine[1] - DASHES.length;
            boolean headers = false;
            while (true) {
                if (rest == data.length) {
                    return null;
                }
                int[] header = line(data, rest);
                if (indexOf(data, header[0], header[1], (byte) ':') < 0) {
                    break;
                }
                headers = true;
                rest = header[2];
            }
            int endIndex;
            int endTrailer;
            if (!headers && startsWith(data, rest, END, 1)) {
                endIndex = rest;
                endTrailer = rest + END.length - 1;
            } else {
                endIndex = indexOf(data, rest, END);
                if (endIndex < 0) {
                    continue;
                }
                endTrailer = endIndex + END.length;
            }
            int typeLength = typeEnd - typeStart;
            int trailerLength = typeLength + DASHES.length;
            if (data.length - endTrailer < trailerLength) {
                continue;
            }
            if (!java.util.Arrays.equals(data, endTrailer, endTrailer + typeLength, data, typeStart, typeEnd)
                    || !startsWith(data, endTrailer + typeLength, DASHES, 0)) {
                continue;
            }
            int[] restOfEndLine = line(data, endTrailer + trailerLength);
            if (restOfEndLine[1] != restOfEndLine[0]) {
                continue;
            }
            java.io.ByteArrayOutputStream base64 = new java.io.ByteArrayOutputStream();
            for (int i = rest; i < endIndex; i++) {
                if (data[i] != ' ' && data[i] != '\t') {
                    base64.write(data[i]);
                }
            }
            byte[] bytes;
            try {
                bytes = SprigMore.base64Decode(base64.toByteArray());
            } catch (FunctionError e) {
                continue;
            }
            return new Block(GoBytes.string(data, typeStart, typeLength), bytes);
        }
    }

    /** pem.Encode without headers: the base64 in lines of 64. */
    static String encode(String type, byte[] der) {
        String base64 = Base64.getEncoder().encodeToString(der);
        StringBuilder b = new StringBuilder("-----BEGIN ").append(type).append("-----\n");
        for (int i = 0; i < base64.length(); i += 64) {
            b.append(base64, i, Math.min(base64.length(), i + 64)).append('\n');
        }
        return b.append("-----END ").append(type).append("-----\n").toString();
    }

    /** getLine: {start, end without trailing spaces, tabs and \r, start of the next line}. */
    private static int[] line(byte[] data, int from) {
        int nl = indexOf(data, from, data.length, (byte) '\n');
        int end;
        int next;
        if (nl < 0) {
            end = data.length;
            next = end;
        } else {
            next = nl + 1;
            end = nl > from && data[nl - 1] == '\r' ? nl - 1 : nl;
        }
        while (end > from && (data[end - 1] == ' ' || data[end - 1] == '\t')) {
            end--;
        }
        return new int[] {from, end, next};
    }

    private static boolean startsWith(byte[] data, int at, byte[] prefix, int skip) {
        int n = prefix.length - skip;
        return at + n <= data.length && java.util.Arrays.equals(data, at, at + n, prefix, skip, prefix.length);
    }

    private static int indexOf(byte[] data, int from, byte[] what) {
        for (int i = from; i + what.length <= data.length; i++) {
            if (startsWith(data, i, what, 0)) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] data, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
