package io.ironbell.protocol.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A count for {@code /metrics} of something that can happen at packet rate, and whether to log
 * it: one line per interval at most, so that a flood costs a counter, not a log line per
 * datagram.
 */
public final class Tally {

    private final LongAdder count = new LongAdder();
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong nextLine;
    private final long intervalNanos;

    public Tally(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.nextLine = new AtomicLong(System.nanoTime());
    }

    /**
     * Counts one.
     *
     * @return -1 when it is not to be logged, else how many went unlogged since the last line
     */
    public long add() {
        count.increment();
        long now = System.nanoTime();
        long next = nextLine.get();
        if (now - next >= 0 && nextLine.compareAndSet(next, now + intervalNanos)) {
            return held.getAndSet(0);
        }
        held.incrementAndGet();
        return -1;
    }

    /** How many were counted. */
    public long sum() {
        return count.sum();
    }

    /** The suffix a log line gets for the ones it stands for. */
    public static String more(long held) {
        return held <= 0 ? "" : " (and " + held + " more since the last such line)";
    }
}
