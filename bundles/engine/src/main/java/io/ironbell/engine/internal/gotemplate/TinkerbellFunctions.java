package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The functions Tinkerbell's controller adds to Sprig's for workflow templates, as its current
 * release behaves: {@code formatPartition} (a device and a partition number into the partition's
 * device: {@code /dev/disk/...-partN}, {@code ...pN} after a digit, {@code ...N} otherwise) and
 * {@code netmaskToPrefixLength} (a dotted IPv4 netmask into its prefix length, as a string),
 * {@code toYaml} and {@code fromYaml} (sigs.k8s.io/yaml; see {@link GoYaml}).
 */
public final class TinkerbellFunctions {

    private TinkerbellFunctions() {
    }

    /** The functions, by name. */
    public static final Map<String, Function> FUNCTIONS;

    static {
        Map<String, Function> m = new HashMap<>();
        m.put("formatPartition", new Fn(List.of("string", "int"), false, a -> formatPartition((String) a.get(0), (Long) a.get(1))));
        m.put("netmaskToPrefixLength", new Fn(List.of("string"), false, a -> netmaskToPrefixLength((String) a.get(0))));
        m.put("toYaml", new Fn(List.of("interface {}"), false, a -> GoYaml.toYaml(a.get(0))));
        m.put("fromYaml", new Fn(List.of("string"), false, a -> GoYaml.fromYaml((String) a.get(0))));
        FUNCTIONS = Map.copyOf(m);
    }

    private static final Map<String, Function> ALL;

    static {
        Map<String, Function> all = new HashMap<>(Sprig.FUNCTIONS);
        all.putAll(FUNCTIONS);
        ALL = Map.copyOf(all);
    }

    /** Sprig's hermetic functions and these: what a workflow template may call. */
    public static Map<String, Function> all() {
        return ALL;
    }

    static String formatPartition(String dev, long partition) {
        if (dev.startsWith("/dev/disk/")) {
            return dev + "-part" + partition;
        }
        if (!dev.isEmpty() && dev.charAt(dev.length() - 1) >= '0' && dev.charAt(dev.length() - 1) <= '9') {
            return dev + "p" + partition;
        }
        return dev + partition;
    }

    static String netmaskToPrefixLength(String netmask) {
        byte[] ip = parseIp(netmask);
        if (ip == null) {
            throw new FunctionError("invalid netmask format: " + netmask);
        }
        byte[] v4 = to4(ip);
        if (v4 == null) {
            throw new FunctionError("netmask must be IPv4: " + netmask);
        }
        // net.IPMask.Size: the leading ones, or 0 when the mask is not ones then zeros
        int ones = 0;
        int i = 0;
        for (; i < 4 && v4[i] == (byte) 0xff; i++) {
            ones += 8;
        }
        if (i < 4) {
            int b = v4[i] & 0xff;
            while ((b & 0x80) != 0) {
                ones++;
                b = (b << 1) & 0xff;
            }
            if (b != 0) {
                return "0";
            }
            for (i++; i < 4; i++) {
                if (v4[i] != 0) {
                    return "0";
                }
            }
        }
        return Integer.toString(ones);
    }

    /** net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 text, as 16 bytes; null when it is neither. */
    static byte[] parseIp(String s) {
        if (s.indexOf(':') < 0) {
            byte[] v4 = parseIpv4(s);
            if (v4 == null) {
                return null;
            }
            byte[] out = new byte[16];
            out[10] = (byte) 0xff;
            out[11] = (byte) 0xff;
            System.arraycopy(v4, 0, out, 12, 4);
            return out;
        }
        if (!s.matches("[0-9A-Fa-f:.]+") || s.contains(":::")) {
            return null;
        }
        String tail = s;
        byte[] embedded = null;
        int lastColon = s.lastIndexOf(':');
        if (s.indexOf('.') >= 0) {
            embedded = parseIpv4(s.substring(lastColon + 1));
            if (embedded == null) {
                return null;
            }
            tail = s.substring(0, lastColon + 1) + "0:0";
        }
        try {
            byte[] out = java.net.InetAddress.getByName("[" + tail + "]").getAddress();
            if (out.length == 4) {
                // Java turns an IPv4-mapped IPv6 address into the IPv4 one: map it back
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(out, 0, mapped, 12, 4);
                out = mapped;
            }
            if (embedded != null) {
                System.arraycopy(embedded, 0, out, 12, 4);
            }
            return out;
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static byte[] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || p.length() > 1 && p.charAt(0) == '0') {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** net.IP.To4: the IPv4 address of a v4-in-v6 form, or null. */
    static byte[] to4(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return null;
            }
        }
        if (ip[10] != (byte) 0xff || ip[11] != (byte) 0xff) {
            return null;
        }
        return java.util.Arrays.copyOfRange(ip, 12, 16);
    }
}
