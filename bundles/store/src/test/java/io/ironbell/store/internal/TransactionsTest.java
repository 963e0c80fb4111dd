package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.api.manifest.Manifest;
import io.ironbell.api.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several stores' writes as one unit (what {@code apply} makes of a file), and the manifest store with its sealed Secrets. */
class TransactionsTest {

    private TestDatabase t;
    private Database db;
    private PgHardwareStore hardware;
    private PgManifestStore manifests;
    @TempDir
    Path tmp;

    @BeforeEach
    void start() throws Exception {
        t = new TestDatabase();
        db = t.start(Map.of());
        hardware = new PgHardwareStore(db);
        manifests = new PgManifestStore(db, tmp.resolve("secrets.key"));
    }

    @AfterEach
    void stop() throws Exception {
        manifests.deactivate();
        hardware.deactivate();
        db.deactivate();
        t.close();
    }

    private static ObjectNode object(String name) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("apiVersion", "tinkerbell.org/v1alpha1").put("kind", "Hardware").putObject("metadata").put("name", name);
        o.putObject("spec").putArray("interfaces");
        return o;
    }

    @Test
    void aFailedUnitLeavesNothingInTheDatabaseOrInMemory() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.atomically(() -> {
            hardware.push(Fixtures.hardware("unit-1", 0x525400110001L, "10.11.0.1"));
            manifests.put("Hardware", "unit-1", "tink", object("unit-1"));
            // the unit sees its own writes before they commit, the index does not
            assertEquals("unit-1", hardware.byMac(MacAddress.parse("52:54:00:11:00:01")).orElseThrow().id());
            throw new IllegalStateException("the file's second object is invalid");
        }));
        assertEquals("the file's second object is invalid", e.getMessage());
        assertTrue(hardware.byId("unit-1").isEmpty(), "the index never saw it");
        assertThrows(StoreException.class, () -> hardware.get("unit-1"));
        assertTrue(manifestAbsent("unit-1"));
    }

    @Test
    void aConflictInsideAUnitIsNamedAndTheUnitCanGoOn() throws Exception {
        hardware.push(Fixtures.hardware("owner", 0x525400110002L, "10.11.0.2"));
        String message = db.atomically(() -> {
            try {
                hardware.push(Fixtures.hardware("thief", 0x525400110002L, "10.11.0.3"));
                return "pushed";
            } catch (StoreException conflict) {
                // rolled back to its savepoint: the unit is still usable
                hardware.push(Fixtures.hardware("other", 0x525400110003L, "10.11.0.4"));
                return conflict.getMessage();
            }
        });
        assertEquals("MAC address 52:54:00:11:00:02 is already registered to hardware owner", message);
        assertEquals("other", hardware.byMac(MacAddress.parse("52:54:00:11:00:03")).orElseThrow().id(), "committed and indexed");
        assertThrows(StoreException.class, () -> hardware.get("thief"));
    }

    @Test
    void manifestsKeepTheirOrderCountGenerationsAndFollowTheirRecord() throws Exception {
        hardware.push(Fixtures.hardware("m-1", 0x525400110004L, "10.11.0.5"));
        Manifest first = manifests.put("Hardware", "m-1", "tink", object("m-1"));
        assertEquals(1, first.generation());
        assertEquals("[\"apiVersion\",\"kind\",\"metadata\",\"spec\"]", Json.mapper().writeValueAsString(
                Json.mapper().valueToTree(iterable(manifests.find("Hardware", "m-1").orElseThrow().object().fieldNames()))));
        assertEquals(1, manifests.put("Hardware", "m-1", "tink", object("m-1")).generation(), "the same object: no new generation");
        ObjectNode changed = object("m-1");
        changed.with("metadata").put("namespace", "tink");
        assertEquals(2, manifests.put("Hardware", "m-1", "tink", changed).generation());
        // another instance on the same database hears of it (LISTEN/NOTIFY) and answers from memory
        PgManifestStore other = new PgManifestStore(db, tmp.resolve("secrets.key"));
        assertEquals(2, other.find("Hardware", "m-1").orElseThrow().generation());
        // a record replaced by other means than apply is no longer its object's
        hardware.push(Fixtures.hardware("m-1", 0x525400110004L, "10.11.0.5"));
        assertTrue(manifestAbsent("m-1"));
        io.ironbell.testing.Await.until("the other instance to hear of the deletion", java.time.Duration.ofSeconds(10),
                () -> {
                    try {
                        return other.find("Hardware", "m-1").isEmpty() ? true : null;
                    } catch (StoreException e) {
                        throw new IllegalStateException(e);
                    }
                });
        other.deactivate();
        manifests.put("Hardware", "m-1", "tink", object("m-1"));
        hardware.delete("m-1");
        assertTrue(manifestAbsent("m-1"), "deleting the record deletes its object");
    }

    @Test
    void secretsAreSealedWithAKeyOutsideTheDatabase() throws Exception {
        ObjectNode secret = Json.mapper().createObjectNode();
        secret.put("apiVersion", "v1").put("kind", "Secret").putObject("metadata").put("name", "bmc");
        manifests.put("Secret", "bmc", null, secret);
        manifests.putSecret("bmc", Map.of("password", "pa55word".getBytes()));
        assertArrayEquals("pa55word".getBytes(), manifests.secret("bmc").get("password"));
        Path key = tmp.resolve("secrets.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        // another key (another server, or a database restored without its key) opens nothing
        Files.delete(key);
        PgManifestStore stranger = new PgManifestStore(db, key);
        StoreException e = assertThrows(StoreException.class, () -> stranger.secret("bmc"));
        assertTrue(e.getMessage().contains("does not decrypt with the key in " + key), e.getMessage());
        stranger.deactivate();
    }

    private boolean manifestAbsent(String name) {
        try {
            return manifests.find("Hardware", name).isEmpty();
        } catch (StoreException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        java.util.List<T> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
