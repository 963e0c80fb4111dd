package io.ironbell.protocol.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Token buckets per key on a clock the test moves. */
class RateLimitTest {

    private long now = 5_000_000_000L;

    @Test
    void aKeyGetsItsBurstThenItsRateAndSaysHowLongToWait() {
        RateLimit<String> limit = new RateLimit<>(4, 3, 100, () -> now);
        for (int i = 0; i < 3; i++) {
            assertEquals(0, limit.take("a"));
        }
        assertEquals(250_000_000L, limit.take("a"), "4 a second: the next in 250 ms");
        assertEquals(0, limit.take("b"), "another key is not held back");
        now += 100_000_000L;
        assertEquals(150_000_000L, limit.take("a"));
        now += 150_000_000L;
        assertEquals(0, limit.take("a"));
        now += 60_000_000_000L;
        for (int i = 0; i < 3; i++) {
            assertEquals(0, limit.take("a"), "full again, never more than the burst");
        }
        assertEquals(250_000_000L, limit.take("a"));
    }

    @Test
    void idleKeysAreForgottenAndTheTableIsBounded() {
        RateLimit<Integer> limit = new RateLimit<>(10, 20, 1000, () -> now);
        for (int k = 0; k < 1000; k++) {
            limit.take(k);
        }
        assertEquals(1000, limit.size());
        assertEquals(0, limit.take(5000), "beyond the table's bound: let through, not tracked");
        assertEquals(1000, limit.size());
        now += 2_000_000_000L; // 2 s: every bucket (19 left, 10 a second) is full again
        limit.take(1);
        assertEquals(1, limit.size(), "the idle ones are gone");
    }

    @Test
    void rateZeroIsNoLimit() {
        RateLimit<String> off = new RateLimit<>(0, 1, 10, () -> now);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, off.take("a"));
        }
        assertEquals(0, off.size());
    }
}
