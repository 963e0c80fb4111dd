package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * An IEEE 802 MAC-48 address held in one {@code long}, so that it hashes and compares
 * without allocation on the DHCP hot path.
 *
 * <p>Parsed from {@code 52:54:00:12:34:56}, {@code 52-54-00-12-34-56} or {@code 525400123456}
 * in either case; always printed as lower-case, colon-separated text.
 */
public final class MacAddress implements Comparable<MacAddress> {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final long value;

    private MacAddress(long value) {
        this.value = value;
    }

    /** Returns the address whose 48 low bits are {@code value}. */
    public static MacAddress of(long value) {
        if ((value & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("MAC address out of range: " + Long.toHexString(value));
        }
        return new MacAddress(value);
    }

    /** Returns the address held in {@code bytes[offset..offset+6)}, as in a DHCP chaddr field. */
    public static MacAddress of(byte[] bytes, int offset) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (bytes[offset + i] & 0xFF);
        }
        return new MacAddress(v);
    }

    /**
     * Parses a textual MAC address.
     *
     * @throws IllegalArgumentException naming the text when it is not a MAC address
     */
    @JsonCreator
    public static MacAddress parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("MAC address is missing");
        }
        int n = text.length();
        int step;
        if (n == 12) {
            step = 2;
        } else if (n == 17 && (text.charAt(2) == ':' || text.charAt(2) == '-')) {
            step = 3;
        } else {
            throw new IllegalArgumentException("not a MAC address: '" + text + "'");
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            int at = i * step;
            int hi = Character.digit(text.charAt(at), 16);
            int lo = Character.digit(text.charAt(at + 1), 16);
            boolean separatorOk = step == 2 || i == 5 || text.charAt(at + 2) == text.charAt(2);
            if (hi < 0 || lo < 0 || !separatorOk) {
                throw new IllegalArgumentException("not a MAC address: '" + text + "'");
            }
            v = (v << 8) | (hi << 4) | lo;
        }
        return new MacAddress(v);
    }

    /** Returns the 48-bit value. */
    public long toLong() {
        return value;
    }

    /** Returns the six bytes, most significant first. */
    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 5; i >= 0; i--) {
            b[5 - i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    @Override
    public int compareTo(MacAddress o) {
        return Long.compare(value, o.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && m.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value * 0x9E3779B97F4A7C15L);
    }

    @JsonValue
    @Override
    public String toString() {
        char[] c = new char[17];
        for (int i = 0; i < 6; i++) {
            int b = (int) (value >>> (8 * (5 - i))) & 0xFF;
            c[i * 3] = HEX[b >>> 4];
            c[i * 3 + 1] = HEX[b & 0xF];
            if (i < 5) {
                c[i * 3 + 2] = ':';
            }
        }
        return new String(c);
    }
}
