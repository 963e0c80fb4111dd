package io.ironbell.dhcp.internal;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

/** An IPv4 address block, such as {@code 10.0.0.0/8}, or one address ({@code 192.0.2.7} is {@code /32}). */
record Subnet(int network, int prefix) {

    Subnet {
        network &= mask(prefix);
    }

    static Subnet of(Inet4Address address, int prefix) {
        return new Subnet(bits(address), prefix);
    }

    /** The block an address and its netmask lie in; null when the mask is not one (not contiguous, or absent). */
    static Subnet ofMask(Inet4Address address, Inet4Address netmask) {
        if (address == null || netmask == null) {
            return null;
        }
        int m = bits(netmask);
        int prefix = Integer.bitCount(m);
        return m == mask(prefix) ? of(address, prefix) : null;
    }

    /**
     * Parses a comma-separated list of blocks; literal addresses only, never a DNS lookup.
     *
     * @throws IllegalArgumentException naming the entry that is not a block
     */
    static List<Subnet> parseList(String text) {
        List<Subnet> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (!p.isEmpty()) {
                out.add(parse(p));
            }
        }
        return List.copyOf(out);
    }

    static Subnet parse(String text) {
        int slash = text.indexOf('/');
        Inet4Address a = DhcpResponder.ipv4(slash < 0 ? text : text.substring(0, slash));
        int prefix = -1;
        if (slash < 0) {
            prefix = 32;
        } else if (text.substring(slash + 1).matches("\\d{1,2}")) {
            prefix = Integer.parseInt(text.substring(slash + 1));
        }
        if (a == null || prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("not an IPv4 address or address block: '" + text + "'");
        }
        return of(a, prefix);
    }

    /** The netmask of the block, dotted. */
    Inet4Address netmask() {
        int m = mask(prefix);
        return DhcpResponder.ipv4(((m >>> 24) & 255) + "." + ((m >>> 16) & 255) + "." + ((m >>> 8) & 255) + "." + (m & 255));
    }

    boolean contains(Inet4Address address) {
        return (bits(address) & mask(prefix)) == network;
    }

    static boolean any(List<Subnet> blocks, Inet4Address address) {
        for (Subnet s : blocks) {
            if (s.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    private static int bits(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    @Override
    public String toString() {
        return (network >>> 24) + "." + (network >>> 16 & 0xff) + "." + (network >>> 8 & 0xff) + "." + (network & 0xff) + "/" + prefix;
    }
}
