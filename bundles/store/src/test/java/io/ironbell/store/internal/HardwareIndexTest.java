package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.MacAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The in-memory index across a full reload: readers never see it half built, and no write made meanwhile is lost. */
class HardwareIndexTest {

    @Test
    void writesMadeWhileTheSnapshotWasReadSurviveTheReload() {
        HardwareIndex index = new HardwareIndex();
        index.put(Fixtures.hardware("a", 1, "10.0.0.1"));
        index.put(Fixtures.hardware("b", 2, "10.0.0.2"));
        index.beginReload();
        // the snapshot is read here: it has a and b; meanwhile c is written and b deleted
        List<io.ironbell.api.hardware.Hardware> snapshot = List.of(Fixtures.hardware("a", 1, "10.0.0.1"), Fixtures.hardware("b", 2, "10.0.0.2"));
        index.put(Fixtures.hardware("c", 3, "10.0.0.3"));
        index.remove("b");
        index.replaceAll(snapshot);
        assertTrue(index.byId("c").isPresent(), "a write made while the snapshot was read");
        assertTrue(index.byMac(MacAddress.of(3)).isPresent());
        assertTrue(index.byId("b").isEmpty(), "a delete made while the snapshot was read");
        assertTrue(index.byMac(MacAddress.of(2)).isEmpty());
        assertEquals(2, index.size());

        // after the reload, changes are no longer replayed into the next one
        index.put(Fixtures.hardware("d", 4, "10.0.0.4"));
        index.beginReload();
        index.replaceAll(List.of());
        assertEquals(0, index.size(), "a reload with an empty snapshot and no writes meanwhile empties the index");
    }

    @Test
    void readersNeverSeeAReloadHalfDone() throws Exception {
        HardwareIndex index = new HardwareIndex();
        List<io.ironbell.api.hardware.Hardware> all = new java.util.ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            all.add(Fixtures.hardware("hw-" + i, i, Fixtures.ip(i)));
        }
        index.replaceAll(all);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger misses = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (running.get()) {
                if (index.byMac(MacAddress.of(4_999)).isEmpty() || index.byId("hw-0").isEmpty()) {
                    misses.incrementAndGet();
                }
                reads.incrementAndGet();
            }
        });
        reader.start();
        for (int r = 0; r < 50; r++) {
            index.beginReload();
            index.replaceAll(all);
        }
        running.set(false);
        reader.join(10_000);
        assertTrue(reads.get() > 0);
        assertEquals(0, misses.get(), "lookups that missed a record during " + reads.get() + " reads");
    }
}
