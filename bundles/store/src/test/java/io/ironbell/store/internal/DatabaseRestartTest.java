package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import io.ironbell.testing.Await;
import io.ironbell.testing.Sh;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarts in the middle of a write load: every write the store acknowledged is
 * there afterwards, readiness goes down and comes back, lookups keep answering from memory
 * meanwhile, and the index catches up with writes made by others while it was away.
 */
class DatabaseRestartTest {

    private static final String PG_CTL = System.getProperty("ironbell.test.pg.ctl");
    /** Writes acknowledged before the restart, and again after it: a load under way. */
    private static final int LOAD = 100;

    @Test
    void acknowledgedWritesSurviveARestart() throws Exception {
        assertTrue(PG_CTL != null && new java.io.File(PG_CTL).canExecute(), "ironbell.test.pg.ctl must name .ci/pg, was " + PG_CTL);
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of("pool.timeoutMillis", 1000));
            PgHardwareStore store = new PgHardwareStore(db);
            store.push(Fixtures.hardware("before", 0x525400ff0000L, "10.200.0.1"));
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger lookupsWhileDown = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicBoolean sawNotReady = new AtomicBoolean();
            AtomicInteger counter = new AtomicInteger();
            Thread[] writers = new Thread[4];
            for (int w = 0; w < writers.length; w++) {
                writers[w] = new Thread(() -> {
                    while (running.get()) {
                        int n = counter.incrementAndGet();
                        String id = "hw-" + n;
                        try {
                            store.push(Fixtures.hardware(id, 0x525400000000L + n, Fixtures.ip(n)));
                            acknowledged.add(id);
                        } catch (StoreException e) {
                            refused.incrementAndGet();
                            assertEquals(StoreException.Reason.UNAVAILABLE, e.reason(), e.getMessage());
                        }
                    }
                }, "writer-" + w);
                writers[w].start();
            }
            // Readiness is sampled on a thread of its own: writers may all wait on the pool for the
            // whole outage (its timeout is longer than a fast restart) and miss the window.
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    if (!db.check().ready()) {
                        sawNotReady.set(true);
                        // the hot path still answers from memory
                        if (store.byMac(MacAddress.of(0x525400ff0000L)).isPresent()) {
                            lookupsWhileDown.incrementAndGet();
                        }
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "readiness-sampler");
            sampler.start();
            int beforeRestart;
            try {
                // the restart comes in the middle of a write load
                await(LOAD + " writes acknowledged before the restart", () -> acknowledged.size() >= LOAD);
                beforeRestart = acknowledged.size();
                long t0 = System.nanoTime();
                restartPostgres();
                System.out.println("PostgreSQL restarted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                // readiness may still say up: it notices the outage within a second (the listener's
                // dropped connection, the health check), reports it, and recovers
                await("readiness to report the outage", sawNotReady::get);
                TestDatabase.awaitReady(db, Duration.ofSeconds(30));
                int atReady = acknowledged.size();
                // and the load goes on
                await(LOAD + " writes acknowledged after the restart", () -> acknowledged.size() >= atReady + LOAD);
            } finally {
                running.set(false);
                for (Thread w : writers) {
                    w.join(30_000);
                }
                sampler.join(30_000);
            }
            int afterRestart = acknowledged.size() - beforeRestart;
            System.out.printf("acknowledged %d writes (%d before the restart), refused %d while the database was away%n",
                    acknowledged.size(), beforeRestart, refused.get());
            assertTrue(afterRestart > 0, "writes resumed after the restart");
            assertTrue(sawNotReady.get(), "readiness reported the outage");
            assertTrue(lookupsWhileDown.get() > 0, "lookups answered from memory while the database was away");

            Set<String> stored = new HashSet<>();
            try (Connection c = t.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id FROM hardware")) {
                while (r.next()) {
                    stored.add(r.getString(1));
                }
            }
            Set<String> lost = new HashSet<>(acknowledged);
            lost.removeAll(stored);
            assertEquals(Set.of(), lost, "acknowledged writes missing after the restart");
            // the resync after the reconnect swapped in a snapshot, and re-read what changed while it loaded
            assertEquals(List.of(), absent(store, List.copyOf(acknowledged)), "acknowledged writes missing from the index");

            // a write by someone else while this instance listens again reaches its index
            try (Connection c = t.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE hardware SET data = jsonb_set(data, '{metadata}', '{\"state\":\"touched\"}') WHERE id = 'before'");
            }
            await("the outside update to reach the index", () -> store.byId("before").orElseThrow().metadata() != null);
            assertEquals("touched", store.byId("before").orElseThrow().metadata().state());
            store.deactivate();
            db.deactivate();
        }
    }

    /**
     * Runs {@code .ci/pg restart} (it waits up to 30 s for the server), failing when it fails or
     * runs for 60 s: it is then killed with its children. Its output goes to the test's.
     */
    private static void restartPostgres() throws IOException, InterruptedException {
        Sh.Result r = Sh.run(List.of(PG_CTL, "restart"), Duration.ofSeconds(60));
        assertFalse(r.overran(), "pg restart did not finish in 60 s (killed): " + r.output());
        assertEquals(0, r.status(), "pg restart failed: " + r.output());
    }

    private static List<String> absent(PgHardwareStore store, List<String> ids) {
        return ids.stream().filter(id -> store.byId(id).isEmpty()).toList();
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, Duration.ofSeconds(30), () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }
}
