package io.ironbell.protocol.support;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket per key: a key may go {@code burst} times at once, then {@code perSecond} times
 * a second. A bucket that has filled up again is no different from a new one, so such buckets
 * are dropped as they are found, and the table holds only keys seen within about
 * {@code burst / perSecond} seconds. It holds {@code maxKeys} at most; a key beyond is let
 * through unlimited, since refusing it would let a flood of new keys shut out real callers.
 */
public final class RateLimit<K> {

    private final double perNano;
    private final double burst;
    private final int maxKeys;
    private final LongSupplier clock;
    private final long sweepNanos;
    private final AtomicLong nextSweep;
    private final ConcurrentHashMap<K, Bucket> buckets = new ConcurrentHashMap<>();

    /**
     * @param perSecond how many a key may take a second; 0 lets everything through
     * @param burst     how many a key may take at once (at least 1)
     * @param maxKeys   most keys tracked at once
     * @param clock     nanoseconds, as {@link System#nanoTime()}
     */
    public RateLimit(double perSecond, int burst, int maxKeys, LongSupplier clock) {
        this.perNano = perSecond / 1e9;
        this.burst = Math.max(1, burst);
        this.maxKeys = maxKeys;
        this.clock = clock;
        this.sweepNanos = perSecond <= 0 ? Long.MAX_VALUE : Math.max(1_000_000_000L, (long) (this.burst / perNano));
        this.nextSweep = new AtomicLong(clock.getAsLong());
    }

    /**
     * Takes one for {@code key}.
     *
     * @return 0 when it may go, else the nanoseconds until it may
     */
    public long take(K key) {
        if (perNano <= 0) {
            return 0;
        }
        long now = clock.getAsLong();
        sweep(now);
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= maxKeys) {
                return 0;
            }
            b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        }
        synchronized (b) {
            b.refill(now, perNano, burst);
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - b.tokens) / perNano));
        }
    }

    /** How many keys are tracked. */
    /** Callers with a bucket now. */
    public int size() {
        return buckets.size();
    }

    private void sweep(long now) {
        long next = nextSweep.get();
        if (now - next < 0 || !nextSweep.compareAndSet(next, now + sweepNanos)) {
            return;
        }
        buckets.values().removeIf(b -> {
            synchronized (b) {
                b.refill(now, perNano, burst);
                return b.tokens >= burst;
            }
        });
    }

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }

        void refill(long now, double perNano, double burst) {
            if (now - last > 0) {
                tokens = Math.min(burst, tokens + (now - last) * perNano);
                last = now;
            }
        }
    }
}
