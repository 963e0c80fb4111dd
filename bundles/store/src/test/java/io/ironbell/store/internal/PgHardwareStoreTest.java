package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import java.net.InetAddress;
import java.sql.Connection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgHardwareStoreTest {

    private TestDatabase t;
    private Database db;
    private PgHardwareStore store;

    @BeforeEach
    void start() throws Exception {
        t = new TestDatabase();
        db = t.start(Map.of());
        store = new PgHardwareStore(db);
    }

    @AfterEach
    void stop() throws Exception {
        store.deactivate();
        db.deactivate();
        t.close();
    }

    @Test
    void pushGetLookupDelete() throws Exception {
        Hardware hw = store.push(Fixtures.hardware("hw-1", 0x525400000001L, "10.0.0.11"));
        assertEquals(hw, store.get("hw-1"));
        assertEquals(hw, store.byMac(MacAddress.parse("52:54:00:00:00:01")).orElseThrow());
        assertEquals(hw, store.byIp(InetAddress.getByName("10.0.0.11")).orElseThrow());
        assertEquals(hw, store.byId("hw-1").orElseThrow());

        // replacing moves the keys: the old MAC and IP no longer find it
        Hardware moved = store.push(Fixtures.hardware("hw-1", 0x525400000002L, "10.0.0.12"));
        assertTrue(store.byMac(MacAddress.parse("52:54:00:00:00:01")).isEmpty());
        assertTrue(store.byIp(InetAddress.getByName("10.0.0.11")).isEmpty());
        assertEquals(moved, store.byMac(MacAddress.parse("52:54:00:00:00:02")).orElseThrow());

        store.delete("hw-1");
        assertTrue(store.byMac(MacAddress.parse("52:54:00:00:00:02")).isEmpty());
        StoreException e = assertThrows(StoreException.class, () -> store.get("hw-1"));
        assertEquals(StoreException.Reason.NOT_FOUND, e.reason());
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> store.delete("hw-1")).reason());
    }

    @Test
    void aPushWithoutIdGetsOne() throws Exception {
        Hardware hw = store.push(Fixtures.hardware(null, 0x525400000009L, null));
        assertFalse(hw.id().isBlank());
        assertEquals(hw, store.get(hw.id()));
    }

    @Test
    void duplicateMacOrIpIsRefusedNamingItAndTheOwner() throws Exception {
        store.push(Fixtures.hardware("owner", 0x525400000001L, "10.0.0.11"));
        StoreException mac = assertThrows(StoreException.class,
                () -> store.push(Fixtures.hardware("intruder", 0x525400000001L, "10.0.0.99")));
        assertEquals(StoreException.Reason.CONFLICT, mac.reason());
        assertEquals("MAC address 52:54:00:00:00:01 is already registered to hardware owner", mac.getMessage());
        StoreException ip = assertThrows(StoreException.class,
                () -> store.push(Fixtures.hardware("intruder", 0x525400000002L, "10.0.0.11")));
        assertEquals("IP address 10.0.0.11 is already registered to hardware owner", ip.getMessage());
        // nothing of the refused pushes was kept
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> store.get("intruder")).reason());
        assertTrue(store.byMac(MacAddress.parse("52:54:00:00:00:02")).isEmpty());
        try (Connection c = t.connect()) {
            assertEquals(1, MigrationsTest.count(c, "hardware"));
            assertEquals(1, MigrationsTest.count(c, "hardware_interface"));
        }
    }

    @Test
    void malformedRecordsAreRefusedNamingTheField() throws Exception {
        Hardware badMac = Json.mapper().readValue(
                "{\"id\":\"x\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"nope\"}}]}}", Hardware.class);
        StoreException e = assertThrows(StoreException.class, () -> store.push(badMac));
        assertEquals(StoreException.Reason.INVALID, e.reason());
        assertTrue(e.getMessage().startsWith("network.interfaces[0].dhcp.mac"), e.getMessage());
        Hardware badIp = Json.mapper().readValue(
                "{\"id\":\"x\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"ip\":{\"address\":\"host.example\"}}}]}}",
                Hardware.class);
        e = assertThrows(StoreException.class, () -> store.push(badIp));
        assertTrue(e.getMessage().contains("network.interfaces[0].dhcp.ip.address"), e.getMessage());
    }

    @Test
    void listingPagesThroughEveryRecordOnce() throws Exception {
        for (int i = 0; i < 25; i++) {
            store.push(Fixtures.hardware(String.format("hw-%03d", i), 0x525400100000L + i, Fixtures.ip(i + 1)));
        }
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<Hardware> p = store.list(new PageRequest(cursor, 10));
            p.items().forEach(h -> assertTrue(seen.add(h.id()), "seen twice: " + h.id()));
            cursor = p.nextCursor();
            pages++;
        } while (cursor != null);
        assertEquals(25, seen.size());
        assertEquals(3, pages);
    }

    @Test
    void anotherInstanceSeesChangesThroughNotifications() throws Exception {
        Database otherDb = t.start(Map.of());
        PgHardwareStore other = new PgHardwareStore(otherDb);
        try {
            MacAddress mac = MacAddress.parse("52:54:00:aa:00:01");
            long t0 = System.nanoTime();
            store.push(Fixtures.hardware("shared", mac.toLong(), "10.9.0.1"));
            awaitPresent(other, mac, true);
            long seenAfter = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("other instance saw the push after " + seenAfter + " ms");

            store.delete("shared");
            awaitPresent(other, mac, false);

            // and the other way round, with the first instance's index updated by notification only
            other.push(Fixtures.hardware("from-other", 0x525400aa0002L, "10.9.0.2"));
            awaitPresent(store, MacAddress.parse("52:54:00:aa:00:02"), true);
        } finally {
            other.deactivate();
            otherDb.deactivate();
        }
    }

    @Test
    void theIndexIsLoadedFromTheDatabaseAtStart() throws Exception {
        for (int i = 0; i < 50; i++) {
            store.push(Fixtures.hardware("hw-" + i, 0x525400200000L + i, Fixtures.ip(1000 + i)));
        }
        Database second = t.start(Map.of());
        PgHardwareStore late = new PgHardwareStore(second);
        try {
            for (int i = 0; i < 50; i++) {
                assertEquals("hw-" + i, late.byMac(MacAddress.of(0x525400200000L + i)).orElseThrow().id());
            }
        } finally {
            late.deactivate();
            second.deactivate();
        }
    }

    static void awaitPresent(PgHardwareStore s, MacAddress mac, boolean present) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (s.byMac(mac).isPresent() != present) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(mac + (present ? " never appeared" : " never went away") + " on the other instance");
            }
            Thread.sleep(5);
        }
    }
}
