package io.ironbell.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition until it holds or time runs out. */
public final class Await {

    private Await() {
    }

    /**
     * Waits until {@code condition} returns a non-null value and returns it, with the time it
     * took; fails with {@code what} when {@code timeout} passes first.
     */
    public static <T> Timed<T> until(String what, Duration timeout, Supplier<T> condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            T value = condition.get();
            if (value != null) {
                return new Timed<>(value, Duration.ofNanos(System.nanoTime() - start));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /**
     * A value and how long it took to arrive.
     *
     * @param value   the value
     * @param elapsed the time waited
     * @param <T>     its type
     */
    public record Timed<T>(T value, Duration elapsed) {
    }
}
