package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Lease;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.log.LogLine;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgLogAndLeaseStoreTest {

    private TestDatabase t;
    private Database db;

    @BeforeEach
    void start() throws Exception {
        t = new TestDatabase();
        db = t.start(Map.of("log.maxLinesPerMachine", 100));
    }

    @AfterEach
    void stop() throws Exception {
        db.deactivate();
        t.close();
    }

    @Test
    void logsAreBoundedPerMachineOldestFirstOut() throws Exception {
        PgMachineLogStore logs = new PgMachineLogStore(db);
        for (int batch = 0; batch < 5; batch++) {
            List<LogLine> lines = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                lines.add(new LogLine(0, "m1", Instant.now(), "worker", "info", "line " + (batch * 50 + i)));
            }
            lines.add(new LogLine(0, "m2", Instant.now(), "syslog", null, "other machine " + batch));
            logs.append(lines);
        }
        List<LogLine> tail = logs.tail("m1", 1000);
        assertEquals(100, tail.size(), "the log keeps the newest 100 lines");
        assertEquals("line 150", tail.get(0).text());
        assertEquals("line 249", tail.get(99).text());
        assertEquals(5, logs.tail("m2", 1000).size(), "another machine's lines are not trimmed with it");
        List<LogLine> after = logs.after("m1", tail.get(97).sequence(), 10);
        assertEquals(List.of("line 248", "line 249"), after.stream().map(LogLine::text).toList());
        logs.append(List.of(new LogLine(0, "m3", null, "worker", null, "x".repeat(20_000))));
        assertEquals(PgMachineLogStore.MAX_LINE_CHARS, logs.tail("m3", 1).get(0).text().length());
    }

    @Test
    void everyFieldOfALineIsBounded() throws Exception {
        PgMachineLogStore logs = new PgMachineLogStore(db);
        // source and severity come from the machine (a worker's POST), as the text does
        logs.append(List.of(new LogLine(0, "m1", Instant.now(), "s".repeat(100_000), "e".repeat(100_000), "text")));
        LogLine l = logs.tail("m1", 1).get(0);
        assertEquals(PgMachineLogStore.MAX_SOURCE_CHARS, l.source().length(), "source cut to the longest action name");
        assertTrue(l.source().startsWith("sss"));
        assertEquals(PgMachineLogStore.MAX_SEVERITY_CHARS, l.severity().length(), "severity cut");
        assertEquals("text", l.text());
        // a cut never leaves half a character
        logs.append(List.of(new LogLine(0, "m4", null, "worker", null, "x" + "\uD83D\uDE00".repeat(10_000))));
        String text = logs.tail("m4", 1).get(0).text();
        assertEquals(PgMachineLogStore.MAX_LINE_CHARS - 1, text.length());
        assertTrue(text.endsWith("\uD83D\uDE00"), "ends with a whole emoji");
    }

    @Test
    void leasesKeepTheLastExchange() throws Exception {
        PgLeaseStore leases = new PgLeaseStore(db);
        MacAddress mac = MacAddress.parse("52:54:00:12:34:56");
        assertTrue(leases.get(mac).isEmpty());
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        leases.record(new Lease(mac, "10.0.0.5", "hw-1", Lease.State.OFFERED, null, now, "PXEClient:Arch:00007"));
        leases.record(new Lease(mac, "10.0.0.5", "hw-1", Lease.State.BOUND, now.plusSeconds(86400), now.plusSeconds(1), null));
        Lease l = leases.get(mac).orElseThrow();
        assertEquals(Lease.State.BOUND, l.state());
        assertEquals("10.0.0.5", l.ip());
        assertEquals(now.plusSeconds(86400), l.expiresAt());
        assertEquals(now.plusSeconds(1), l.lastSeen());
    }

    @Test
    void leasesAreRecordedInBatches() throws Exception {
        PgLeaseStore leases = new PgLeaseStore(db);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<Lease> batch = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            batch.add(new Lease(MacAddress.parse(String.format("52:54:00:aa:%02x:%02x", i / 256, i % 256)), "10.1." + i / 250 + "." + i % 250,
                    "hw-" + i, Lease.State.BOUND, null, now, null));
        }
        leases.recordAll(batch);
        leases.recordAll(List.of(new Lease(batch.get(7).mac(), "10.1.0.7", "hw-7", Lease.State.RELEASED, null, now.plusSeconds(5), null)));
        assertEquals(Lease.State.BOUND, leases.get(batch.get(499).mac()).orElseThrow().state());
        assertEquals("10.1.1.249", leases.get(batch.get(499).mac()).orElseThrow().ip());
        assertEquals(Lease.State.RELEASED, leases.get(batch.get(7).mac()).orElseThrow().state(), "a later batch replaces");
        leases.recordAll(List.of());
    }
}
