package io.ironbell.worker.internal;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter, so that a fleet of workers does not retry in step. */
final class Backoff {

    static final long FIRST_MILLIS = 500;
    static final long MAX_MILLIS = 30_000;

    private Backoff() {
    }

    /** The pause after {@code previous} (0 for the first failure): doubled, at most {@code max}, ±25%. */
    static long next(long previous, long max) {
        long base = previous <= 0 ? FIRST_MILLIS : Math.min(max, previous * 2);
        long jitter = base / 4;
        return Math.max(1, Math.min(max, base - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1)));
    }
}
