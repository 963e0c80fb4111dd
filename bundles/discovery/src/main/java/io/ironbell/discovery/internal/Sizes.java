package io.ironbell.discovery.internal;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as operators write them: bytes, or a number with a decimal (GB) or binary (GiB) unit. */
final class Sizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]i?b?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Map<Character, Integer> POWER = Map.of('k', 1, 'm', 2, 'g', 3, 't', 4, 'p', 5);

    private Sizes() {
    }

    /**
     * {@code 512MiB} is 512 × 2^20 bytes, {@code 2TB} 2 × 10^12, {@code 16G} (no B) 16 × 2^30, {@code 1000} bytes.
     *
     * @throws IllegalArgumentException naming what does not read
     */
    static long parse(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (bytes, or a number with a unit: 512MiB, 16GiB, 2TB)");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        if (unit.equals("b")) {
            return (long) n;
        }
        int power = POWER.get(unit.charAt(0));
        // "GB" is decimal, as disk vendors write it; "GiB" and a bare "G" are binary, as the kernel counts
        boolean decimal = unit.length() == 2 && unit.charAt(1) == 'b';
        return (long) (n * Math.pow(decimal ? 1000 : 1024, power));
    }

    /** A size for people: the largest binary unit that keeps one decimal. */
    static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
