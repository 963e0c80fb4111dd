package io.ironbell.tftp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** TFTP packets (RFC 1350, options RFC 2347): opcodes, error codes, and the read request's fields. */
final class Tftp {

    static final int RRQ = 1;
    static final int WRQ = 2;
    static final int DATA = 3;
    static final int ACK = 4;
    static final int ERROR = 5;
    static final int OACK = 6;

    static final int ERR_UNDEFINED = 0;
    static final int ERR_NOT_FOUND = 1;
    static final int ERR_ACCESS = 2;
    static final int ERR_ILLEGAL = 4;
    static final int ERR_OPTION = 8;

    /**
     * A read request.
     *
     * @param file    the file name as sent
     * @param mode    octet or netascii
     * @param options the options, names in lower case, in order
     */
    record Request(String file, String mode, Map<String, String> options) {
    }

    private Tftp() {
    }

    /** Parses an RRQ after its opcode; null when malformed. */
    static Request parseRequest(ByteBuf in) {
        String[] fields = new String[64];
        int n = 0;
        while (in.isReadable() && n < fields.length) {
            int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) 0);
            if (end < 0) {
                return null;
            }
            fields[n++] = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.US_ASCII);
            in.readerIndex(end + 1);
        }
        if (n < 2 || fields[0].isEmpty()) {
            return null;
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 2; i + 1 < n; i += 2) {
            options.put(fields[i].toLowerCase(Locale.ROOT), fields[i + 1]);
        }
        return new Request(fields[0], fields[1].toLowerCase(Locale.ROOT), options);
    }

    static void writeError(ByteBuf out, int code, String message) {
        out.writeShort(ERROR).writeShort(code).writeCharSequence(message, StandardCharsets.US_ASCII);
        out.writeByte(0);
    }

    static void writeOack(ByteBuf out, Map<String, String> accepted) {
        out.writeShort(OACK);
        accepted.forEach((k, v) -> {
            out.writeCharSequence(k, StandardCharsets.US_ASCII);
            out.writeByte(0);
            out.writeCharSequence(v, StandardCharsets.US_ASCII);
            out.writeByte(0);
        });
    }
}
