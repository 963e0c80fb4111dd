package io.ironbell.dhcp.codec;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The options of a DHCP message (RFC 2132), in order, by code. An option that appears several
 * times is one option whose value is the concatenation (RFC 3396). Immutable; build with
 * {@link #builder()}.
 */
public final class DhcpOptions {

    public static final int PAD = 0;
    public static final int SUBNET_MASK = 1;
    public static final int ROUTER = 3;
    public static final int DNS = 6;
    public static final int HOSTNAME = 12;
    public static final int DOMAIN_NAME = 15;
    public static final int BROADCAST = 28;
    public static final int NTP = 42;
    public static final int VENDOR_SPECIFIC = 43;
    public static final int REQUESTED_IP = 50;
    public static final int LEASE_TIME = 51;
    public static final int OVERLOAD = 52;
    public static final int MESSAGE_TYPE = 53;
    public static final int SERVER_ID = 54;
    public static final int PARAMETER_LIST = 55;
    public static final int MAX_MESSAGE_SIZE = 57;
    public static final int RENEWAL_TIME = 58;
    public static final int REBINDING_TIME = 59;
    public static final int VENDOR_CLASS = 60;
    public static final int CLIENT_ID = 61;
    public static final int TFTP_SERVER = 66;
    public static final int BOOTFILE = 67;
    public static final int USER_CLASS = 77;
    public static final int CLIENT_ARCH = 93;
    public static final int CLIENT_NDI = 94;
    public static final int CLIENT_UUID = 97;
    public static final int DOMAIN_SEARCH = 119;
    public static final int CLASSLESS_ROUTES = 121;
    public static final int END = 255;

    private static final DhcpOptions EMPTY = new DhcpOptions(Map.of());

    private final Map<Integer, byte[]> values;

    private DhcpOptions(Map<Integer, byte[]> values) {
        this.values = values;
    }

    public static DhcpOptions empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The codes present, in order. */
    public List<Integer> codes() {
        return List.copyOf(values.keySet());
    }

    public boolean has(int code) {
        return values.containsKey(code);
    }

    /** The raw value (a copy). */
    public Optional<byte[]> bytes(int code) {
        byte[] v = values.get(code);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    /** A one-byte value. */
    public Optional<Integer> u8(int code) {
        byte[] v = values.get(code);
        return v == null || v.length != 1 ? Optional.empty() : Optional.of(v[0] & 0xFF);
    }

    /** A two-byte value. */
    public Optional<Integer> u16(int code) {
        byte[] v = values.get(code);
        return v == null || v.length < 2 ? Optional.empty() : Optional.of(((v[0] & 0xFF) << 8) | (v[1] & 0xFF));
    }

    /** A four-byte value. */
    public Optional<Long> u32(int code) {
        byte[] v = values.get(code);
        if (v == null || v.length != 4) {
            return Optional.empty();
        }
        return Optional.of(((v[0] & 0xFFL) << 24) | ((v[1] & 0xFFL) << 16) | ((v[2] & 0xFFL) << 8) | (v[3] & 0xFFL));
    }

    /** Text (NUL bytes at the end removed, as some firmwares add one). */
    public Optional<String> string(int code) {
        byte[] v = values.get(code);
        if (v == null) {
            return Optional.empty();
        }
        int n = v.length;
        while (n > 0 && v[n - 1] == 0) {
            n--;
        }
        return Optional.of(new String(v, 0, n, StandardCharsets.ISO_8859_1));
    }

    /** The first IPv4 address of the value. */
    public Optional<Inet4Address> address(int code) {
        List<Inet4Address> all = addresses(code);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /** The value as IPv4 addresses. */
    public List<Inet4Address> addresses(int code) {
        byte[] v = values.get(code);
        if (v == null || v.length % 4 != 0) {
            return List.of();
        }
        List<Inet4Address> out = new ArrayList<>();
        for (int i = 0; i < v.length; i += 4) {
            try {
                out.add((Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(v, i, i + 4)));
            } catch (UnknownHostException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        return out;
    }

    /** Option 77 is a list of length-prefixed classes (RFC 3004), or, from many PXE ROMs, plain text. */
    public List<String> userClasses() {
        byte[] v = values.get(USER_CLASS);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < v.length) {
            int len = v[i] & 0xFF;
            if (len == 0 || i + 1 + len > v.length) {
                return List.of(string(USER_CLASS).orElse(""));
            }
            out.add(new String(v, i + 1, len, StandardCharsets.ISO_8859_1));
            i += 1 + len;
        }
        return out;
    }

    Map<Integer, byte[]> raw() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DhcpOptions other) || other.values.size() != values.size()) {
            return false;
        }
        for (Map.Entry<Integer, byte[]> e : values.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.values.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Map.Entry<Integer, byte[]> e : values.entrySet()) {
            h += e.getKey() ^ Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        values.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(v.length).append("B"));
        return b.append('}').toString();
    }

    /** Builds options in the order they are added. */
    public static final class Builder {
        private final Map<Integer, byte[]> values = new LinkedHashMap<>();

        private Builder() {
        }

        /** Sets an option (replacing one of the same code); codes 0 and 255 are not options. */
        public Builder put(int code, byte[] value) {
            if (code <= PAD || code >= END) {
                throw new IllegalArgumentException("not an option code: " + code);
            }
            values.put(code, value.clone());
            return this;
        }

        /** Appends to an option's value (a repeated option, RFC 3396). */
        Builder append(int code, byte[] value) {
            values.merge(code, value, (a, b) -> {
                byte[] c = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, c, a.length, b.length);
                return c;
            });
            return this;
        }

        public Builder u8(int code, int v) {
            return put(code, new byte[] {(byte) v});
        }

        public Builder u16(int code, int v) {
            return put(code, new byte[] {(byte) (v >> 8), (byte) v});
        }

        public Builder u32(int code, long v) {
            return put(code, new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v});
        }

        public Builder string(int code, String v) {
            return put(code, v.getBytes(StandardCharsets.ISO_8859_1));
        }

        public Builder addresses(int code, List<? extends InetAddress> addresses) {
            byte[] v = new byte[addresses.size() * 4];
            for (int i = 0; i < addresses.size(); i++) {
                byte[] a = addresses.get(i).getAddress();
                if (a.length != 4) {
                    throw new IllegalArgumentException("option " + code + " takes IPv4 addresses, not " + addresses.get(i));
                }
                System.arraycopy(a, 0, v, i * 4, 4);
            }
            return put(code, v);
        }

        public DhcpOptions build() {
            return values.isEmpty() ? EMPTY : new DhcpOptions(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
        }
    }
}
