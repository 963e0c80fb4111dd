package io.ironbell.engine.internal.gotemplate;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ASN.1 DER as Go writes it (encoding/asn1 for x509 and the key formats), and a reader of it that
 * refuses what Go's readers refuse (non-minimal lengths and integers, truncation), with
 * encoding/asn1's messages.
 */
final class Der {

    private Der() {
    }

    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0c;
    static final int PRINTABLE_STRING = 0x13;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    /** Context-specific, constructed: {@code [n] EXPLICIT}. */
    static int explicitTag(int n) {
        return 0xa0 | n;
    }

    /** Context-specific, primitive: {@code [n] IMPLICIT} of a primitive type. */
    static int implicitTag(int n) {
        return 0x80 | n;
    }

    /** What Go's encoding/asn1 (or x509 through it) refuses: its error text. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }

        static Malformed syntax(String what) {
            return new Malformed("asn1: syntax error: " + what);
        }

        static Malformed structure(String what) {
            return new Malformed("asn1: structure error: " + what);
        }
    }

    // ---- writing ----

    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            content.writeBytes(p);
        }
        int n = content.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream(n + 6);
        out.write(tag);
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... items) {
        return tlv(SEQUENCE, items);
    }

    static byte[] sequence(List<byte[]> items) {
        return tlv(SEQUENCE, items.toArray(byte[][]::new));
    }

    /** Go's and BigInteger's encodings agree: two's complement, minimal, zero as one 0x00. */
    static byte[] integer(BigInteger v) {
        return tlv(INTEGER, v.toByteArray());
    }

    static byte[] integer(long v) {
        return integer(BigInteger.valueOf(v));
    }

    static byte[] bool(boolean v) {
        return tlv(BOOLEAN, new byte[] {(byte) (v ? 0xff : 0)});
    }

    static byte[] octetString(byte[] v) {
        return tlv(OCTET_STRING, v);
    }

    /** A BIT STRING of whole bytes but for the last {@code unusedBits}. */
    static byte[] bitString(byte[] bytes, int unusedBits) {
        return tlv(BIT_STRING, new byte[] {(byte) unusedBits}, bytes);
    }

    static byte[] nullValue() {
        return new byte[] {NULL, 0};
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            base128(out, Long.parseLong(arcs[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void base128(ByteArrayOutputStream out, long v) {
        int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            out.write((int) (v >>> (7 * i)) & 0x7f | (i > 0 ? 0x80 : 0));
        }
    }

    /** A time.Time in UTC as encoding/asn1 writes it: UTCTime from 1950 to 2049, GeneralizedTime otherwise; whole seconds. */
    static byte[] time(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        int year = t.getYear();
        boolean utc = year >= 1950 && year < 2050;
        String text = (utc ? String.format("%02d", year % 100) : String.format("%04d", year))
                + String.format("%02d%02d%02d%02d%02dZ", t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
        return tlv(utc ? UTC_TIME : GENERALIZED_TIME, text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    // ---- reading ----

    /** One element: its identifier octet (0 where the tag number does not fit one), where its content is and where it ends. */
    record Element(int tag, byte[] src, int start, int contentStart, int end) {
        byte[] content() {
            return Arrays.copyOfRange(src, contentStart, end);
        }

        /** The whole element, header included. */
        byte[] encoded() {
            return Arrays.copyOfRange(src, start, end);
        }

        int length() {
            return end - contentStart;
        }

        boolean constructed() {
            return (tag & 0x20) != 0;
        }

        /** The elements of its content, one after the other to its end. */
        List<Element> children() {
            List<Element> out = new ArrayList<>();
            for (int at = contentStart; at < end;) {
                Element e = read(src, at, end);
                out.add(e);
                at = e.end;
            }
            return out;
        }

        /** An INTEGER's value, refused as Go's encoding/asn1 refuses it. */
        BigInteger bigInteger() {
            checkInteger();
            return new BigInteger(content());
        }

        /** An INTEGER into a Go int (64 bits). */
        long int64() {
            checkInteger();
            if (length() > 8) {
                throw Malformed.structure("integer too large");
            }
            return new BigInteger(content()).longValue();
        }

        private void checkInteger() {
            int n = length();
            if (n == 0) {
                throw Malformed.structure("empty integer");
            }
            if (n > 1 && (src[contentStart] == 0 && (src[contentStart + 1] & 0x80) == 0
                    || src[contentStart] == (byte) 0xff && (src[contentStart + 1] & 0x80) != 0)) {
                throw Malformed.structure("integer not minimally-encoded");
            }
        }

        /** An OBJECT IDENTIFIER in dotted form; null where it is not one Go reads (arcs of five bytes at most, below 2^31). */
        String oid() {
            if (tag != OID || length() == 0) {
                return null;
            }
            StringBuilder b = new StringBuilder();
            long v = 0;
            int digits = 0;
            boolean first = true;
            for (int i = contentStart; i < end; i++) {
                int c = src[i] & 0xff;
                if (digits == 5 || v >= 1 << 24) {
                    return null;
                }
                v = v << 7 | c & 0x7f;
                digits++;
                if ((c & 0x80) != 0) {
                    continue;
                }
                if (first) {
                    b.append(v < 80 ? v / 40 : 2).append('.').append(v < 80 ? v % 40 : v - 80);
                    first = false;
                } else {
                    b.append('.').append(v);
                }
                v = 0;
                digits = 0;
            }
            return digits == 0 ? b.toString() : null;
        }
    }

    /** The element at {@code offset}, which must end by {@code limit}: Go's parseTagAndLength and its length check. */
    static Element read(byte[] src, int offset, int limit) {
        Element e = header(src, offset, limit);
        if (e.end() > limit) {
            throw Malformed.syntax("data truncated");
        }
        return e;
    }

    /** parseTagAndLength alone: the element's end may lie past {@code limit}. */
    private static Element header(byte[] src, int offset, int limit) {
        if (offset >= limit) {
            throw Malformed.syntax("sequence truncated");
        }
        int at = offset;
        int tag = src[at++] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            // a tag number of more than five bits: none of the formats read here has one
            long number = 0;
            int c;
            do {
                if (at >= limit) {
                    throw Malformed.syntax("truncated tag or length");
                }
                c = src[at++] & 0xff;
                number = number << 7 | c & 0x7f;
            } while ((c & 0x80) != 0);
            if (number < 0x1f) {
                throw Malformed.syntax("non-minimal tag");
            }
            tag = 0;
        }
        if (at >= limit) {
            throw Malformed.syntax("truncated tag or length");
        }
        int b = src[at++] & 0xff;
        int length;
        if ((b & 0x80) == 0) {
            length = b;
        } else {
            int bytes = b & 0x7f;
            if (bytes == 0) {
                throw Malformed.syntax("indefinite length found (not DER)");
            }
            length = 0;
            for (int i = 0; i < bytes; i++) {
                if (at >= limit) {
                    throw Malformed.syntax("truncated tag or length");
                }
                if (length >= 1 << 23) {
                    throw Malformed.structure("length too large");
                }
                length = length << 8 | src[at++] & 0xff;
                if (length == 0) {
                    throw Malformed.structure("superfluous leading zeros in length");
                }
            }
            if (length < 0x80) {
                throw Malformed.structure("non-minimal length");
            }
        }
        return new Element(tag, src, offset, at, at + length);
    }

    /** The first element of {@code der} (what follows it is not looked at). */
    static Element read(byte[] der) {
        return read(der, 0, der.length);
    }

    /**
     * The fields of a SEQUENCE read in order, as encoding/asn1 fills a struct: a missing required
     * field is "sequence truncated", a different tag "tags don't match", trailing fields are allowed.
     */
    static final class Fields {
        private final Element sequence;
        private int at;

        /** The SEQUENCE at the start of {@code der}, unmarshalled into Go's struct type of that name. */
        Fields(byte[] der, String structName) {
            Element e = header(der, 0, der.length);
            if (e.tag() != SEQUENCE) {
                throw tagsDontMatch(16, e, structName, e.contentStart());
            }
            if (e.end() > der.length) {
                throw Malformed.syntax("data truncated");
            }
            this.sequence = e;
            this.at = e.contentStart();
        }

        /** A SEQUENCE already read (a field of another). */
        Fields(Element sequence) {
            this.sequence = sequence;
            this.at = sequence.contentStart();
        }

        boolean hasMore() {
            return at < sequence.end();
        }

        /** The next field, which must have this tag; {@code goType} names its Go type for the error (as reflect's Name: "" for unnamed ones). */
        Element next(int tag, String goType) {
            Element e = header(sequence.src(), at, sequence.end());
            if (e.tag() != tag) {
                throw tagsDontMatch(tag & 0x1f, e, goType, e.contentStart() - sequence.contentStart());
            }
            if (e.end() > sequence.end()) {
                throw Malformed.syntax("data truncated");
            }
            at = e.end();
            return e;
        }

        /** The next field whatever its tag (an asn1.RawValue). */
        Element any() {
            Element e = read(sequence.src(), at, sequence.end());
            at = e.end();
            return e;
        }

        BigInteger bigInteger() {
            return next(INTEGER, "").bigInteger();
        }

        long integer() {
            return next(INTEGER, "int").int64();
        }

        /** The next field where it has this tag (an OPTIONAL one), else null. */
        Element optional(int tag) {
            if (!hasMore()) {
                return null;
            }
            Element e = header(sequence.src(), at, sequence.end());
            if (e.tag() != tag) {
                return null;
            }
            if (e.end() > sequence.end()) {
                throw Malformed.syntax("data truncated");
            }
            at = e.end();
            return e;
        }

        private static Malformed tagsDontMatch(int expected, Element got, String goType, int offset) {
            return Malformed.structure("tags don't match (" + expected + " vs {class:" + (got.tag() >> 6) + " tag:" + (got.tag() & 0x1f) + " length:"
                    + got.length() + " isCompound:" + got.constructed() + "}) {optional:false explicit:false application:false private:false"
                    + " defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} " + goType + " @" + offset);
        }
    }
}
