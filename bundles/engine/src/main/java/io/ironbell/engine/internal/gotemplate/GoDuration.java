package io.ironbell.engine.internal.gotemplate;

/** Go's time.Duration as text: String, ParseDuration, and Sprig's durationRound. Nanoseconds in a long, wrapping as Go's int64 does. */
final class GoDuration {

    private GoDuration() {
    }

    /** time.Duration.String. */
    static String format(long d) {
        char[] buf = new char[32];
        int w = buf.length;
        long u = d;
        boolean neg = d < 0;
        if (neg) {
            u = -u;
        }
        if (Long.compareUnsigned(u, 1_000_000_000L) < 0) {
            int prec;
            buf[--w] = 's';
            w--;
            if (u == 0) {
                buf[w] = '0';
                return new String(buf, w, buf.length - w);
            } else if (Long.compareUnsigned(u, 1_000L) < 0) {
                prec = 0;
                buf[w] = 'n';
            } else if (Long.compareUnsigned(u, 1_000_000L) < 0) {
                prec = 3;
                buf[w] = '\u00b5';
            } else {
                prec = 6;
                buf[w] = 'm';
            }
            long[] wu = frac(buf, w, u, prec);
            w = integer(buf, (int) wu[0], wu[1]);
        } else {
            buf[--w] = 's';
            long[] wu = frac(buf, w, u, 9);
            w = (int) wu[0];
            u = wu[1];
            w = integer(buf, w, Long.remainderUnsigned(u, 60));
            u = Long.divideUnsigned(u, 60);
            if (u != 0) {
                buf[--w] = 'm';
                w = integer(buf, w, Long.remainderUnsigned(u, 60));
                u = Long.divideUnsigned(u, 60);
                if (u != 0) {
                    buf[--w] = 'h';
                    w = integer(buf, w, u);
                }
            }
        }
        if (neg) {
            buf[--w] = '-';
        }
        return new String(buf, w, buf.length - w);
    }

    private static long[] frac(char[] buf, int w, long v, int prec) {
        boolean print = false;
        for (int i = 0; i < prec; i++) {
            long digit = Long.remainderUnsigned(v, 10);
            print = print || digit != 0;
            if (print) {
                buf[--w] = (char) ('0' + digit);
            }
            v = Long.divideUnsigned(v, 10);
        }
        if (print) {
            buf[--w] = '.';
        }
        return new long[] {w, v};
    }

    private static int integer(char[] buf, int w, long v) {
        if (v == 0) {
            buf[--w] = '0';
        } else {
            while (v != 0) {
                buf[--w] = (char) ('0' + Long.remainderUnsigned(v, 10));
                v = Long.divideUnsigned(v, 10);
            }
        }
        return w;
    }

    /** time.ParseDuration; 0 where Go returns an error (Sprig ignores it). */
    static long parse(String s) {
        try {
            return GoTime.parseDuration(s);
        } catch (GoValues.FunctionError goRefuses) {
            return 0;
        }
    }

    private static final long[] UNITS = {3_600_000_000_000L * 24 * 365, 3_600_000_000_000L * 24 * 30, 3_600_000_000_000L * 24,
        3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L};
    private static final String[] UNIT_NAMES = {"y", "mo", "d", "h", "m", "s"};

    /** Sprig's durationRound: the largest unit that fits, whole. */
    static String round(long d) {
        long u = d < 0 ? -d : d;
        for (int i = 0; i < UNITS.length; i++) {
            if (Long.compareUnsigned(u, UNITS[i]) > 0) {
                return Long.toUnsignedString(Long.divideUnsigned(u, UNITS[i])) + UNIT_NAMES[i];
            }
        }
        return "0s";
    }
}
