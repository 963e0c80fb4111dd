package io.ironbell.http.internal;

/** Parses a single-range {@code Range: bytes=...} header (RFC 9110 §14.1.2). */
final class ByteRange {

    /** Returned for a range that no byte of the file satisfies (answer 416). */
    static final long[] UNSATISFIABLE = new long[0];

    private ByteRange() {
    }

    /**
     * Returns {@code {first, last}} (inclusive) for a satisfiable range, {@code null} when the
     * whole file should be sent (no header, another unit, several ranges, or a malformed
     * header, all of which RFC 9110 lets a server answer with 200), or {@link #UNSATISFIABLE}.
     */
    static long[] parse(String header, long length) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return null;
                }
                long suffix = Long.parseLong(b);
                if (suffix <= 0 || length == 0) {
                    return UNSATISFIABLE;
                }
                return new long[] {Math.max(0, length - suffix), length - 1};
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? length - 1 : Math.min(Long.parseLong(b), length - 1);
            if (first < 0 || (!b.isEmpty() && Long.parseLong(b) < first)) {
                return null;
            }
            if (first >= length) {
                return UNSATISFIABLE;
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
