package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Lease;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotTest {

    @Test
    void backupThenRestoreGivesIdenticalContent() throws Exception {
        byte[] backup;
        Map<String, List<String>> original;
        try (TestDatabase source = new TestDatabase()) {
            Database db = source.start(Map.of());
            populate(db);
            try (Connection c = source.connect()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Map<String, Long> counts = Snapshot.backup(c, out);
                backup = out.toByteArray();
                original = contents(c);
                System.out.println("backup of " + counts + " in " + backup.length + " bytes");
                assertEquals(3L, counts.get("hardware"));
                assertEquals(2L, counts.get("workflow"));
            }
            db.deactivate();
        }
        try (TestDatabase target = new TestDatabase()) {
            try (Connection c = target.connect()) {
                Map<String, Long> restored = Snapshot.restore(c, new ByteArrayInputStream(backup), Migrations.bundled());
                assertEquals(3L, restored.get("hardware"));
                assertEquals(original, contents(c));
                // the sequences continue after the restored rows
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                        "INSERT INTO machine_log (machine, at, source, text) VALUES ('m', now(), 's', 't') RETURNING seq")) {
                    r.next();
                    long max = original.get("machine_log").size();
                    assertTrue(r.getLong(1) > max);
                }
                // restoring again is refused: the database is no longer empty
                Snapshot.NotEmptyException e = assertThrows(Snapshot.NotEmptyException.class,
                        () -> Snapshot.restore(c, new ByteArrayInputStream(backup), Migrations.bundled()));
                assertTrue(e.getMessage().contains("not empty"), e.getMessage());
            }
            // the restored database serves a store
            Database db = target.start(Map.of());
            PgHardwareStore store = new PgHardwareStore(db);
            assertEquals("hw-2", store.byMac(MacAddress.of(0x525400000002L)).orElseThrow().id());
            store.deactivate();
            db.deactivate();
        }
    }

    @Test
    void aTruncatedOrForeignFileIsRefusedAndLeavesTheDatabaseEmpty() throws Exception {
        byte[] backup;
        try (TestDatabase source = new TestDatabase()) {
            Database db = source.start(Map.of());
            populate(db);
            try (Connection c = source.connect()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Snapshot.backup(c, out);
                backup = out.toByteArray();
            }
            db.deactivate();
        }
        // cut the text after the header, inside a table, and compress it again: a well-formed gzip of a partial backup
        String text = new String(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(backup)).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        ByteArrayOutputStream cut = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(cut)) {
            gz.write(text.substring(0, text.indexOf("line 10")).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        try (TestDatabase target = new TestDatabase(); Connection c = target.connect()) {
            Exception truncated = assertThrows(Exception.class,
                    () -> Snapshot.restore(c, new ByteArrayInputStream(cut.toByteArray()), Migrations.bundled()));
            System.out.println("truncated backup refused: " + truncated);
            assertThrows(Exception.class, () -> Snapshot.restore(c, new ByteArrayInputStream("hello".getBytes()), Migrations.bundled()));
            for (String table : Snapshot.TABLES) {
                assertEquals(0, MigrationsTest.count(c, table), table + " after a refused restore");
            }
            // and the whole backup still restores afterwards
            assertEquals(3L, Snapshot.restore(c, new ByteArrayInputStream(backup), Migrations.bundled()).get("hardware"));
        }
    }

    /**
     * A backup made by the previous schema (version 3: before action and workflow timeouts had
     * columns) restores into a server whose empty database already has the newest schema, as
     * every server's has: from a format-2 backup (columns named) and from a format-1 backup
     * (written by an Ironbell from before the columns were named).
     */
    @Test
    void aBackupFromThePreviousSchemaRestoresIntoTheNewest() throws Exception {
        byte[] backup;
        try (TestDatabase source = new TestDatabase()) {
            Database db = source.start(Map.of());
            populate(db);
            db.deactivate();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                // back to version 3: what V004 added, gone
                s.execute("ALTER TABLE action_state DROP COLUMN timeout_seconds");
                s.execute("ALTER TABLE workflow DROP COLUMN global_timeout_seconds");
                s.execute("DROP TABLE api_token, audit_log");
                // and what V006 and V007 added
                s.execute("DROP TABLE machine_session, server_secret, action_plugin");
                s.execute("ALTER TABLE workflow DROP COLUMN plugins");
                s.execute("DELETE FROM schema_migrations WHERE version >= 4");
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Snapshot.backup(c, out);
                backup = out.toByteArray();
            }
        }
        String text = new String(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(backup)).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{") && text.contains("\"schemaVersion\":3"), text.substring(0, 200));
        // the same backup as an Ironbell from before wrote it: no column lists, format 1
        String formatOne = text.replaceAll(",\"columns\":\\[[^\\]]*\\]", "").replace("\"formatVersion\":2", "\"formatVersion\":1");
        assertTrue(!formatOne.contains("\"columns\"") && formatOne.contains("\"formatVersion\":1"));
        for (byte[] b : List.of(backup, gzip(formatOne))) {
            try (TestDatabase target = new TestDatabase(); Connection c = target.connect()) {
                assertEquals(Migrations.bundled().latest(), Migrations.bundled().migrate(c), "the server migrated its empty database first");
                Map<String, Long> restored = Snapshot.restore(c, new ByteArrayInputStream(b), Migrations.bundled());
                assertEquals(2L, restored.get("workflow"));
                assertEquals(20L, restored.get("machine_log"));
                try (Statement s = c.createStatement();
                     ResultSet r = s.executeQuery("SELECT count(*) FROM workflow WHERE global_timeout_seconds IS NULL")) {
                    r.next();
                    assertEquals(2, r.getInt(1), "the newer column is there, empty");
                }
                assertEquals(Migrations.bundled().latest(), Migrations.current(c));
            }
        }
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static void populate(Database db) throws Exception {
        PgHardwareStore hw = new PgHardwareStore(db);
        for (int i = 1; i <= 3; i++) {
            hw.push(Fixtures.hardware("hw-" + i, 0x525400000000L + i, Fixtures.ip(i)));
        }
        new PgTemplateStore(db).create("debian", "version: \"0.1\"\nname: debian\ntasks: []\n");
        PgWorkflowStore wf = new PgWorkflowStore(db);
        Workflow w = wf.create(PgWorkflowStoreTest.pending("52:54:00:00:00:01", 2));
        wf.create(PgWorkflowStoreTest.pending("52:54:00:00:00:02", 1));
        wf.claimNext("52:54:00:00:00:01");
        wf.putData(w.id(), io.ironbell.api.json.Json.mapper().readTree("{\"k\":\"quote \\\" and \\\\ and \\n newline\"}"));
        new PgEventStore(db).append(new WorkflowEvent(0, w.id(), "52:54:00:00:00:01", "task", "a0", ExecutionState.RUNNING, "tab\there", null));
        List<LogLine> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add(new LogLine(0, "hw-1", Instant.now(), "worker", "info", "line " + i + " with \\backslash and \ttab"));
        }
        new PgMachineLogStore(db).append(lines);
        new PgLeaseStore(db).record(new Lease(MacAddress.of(0x525400000001L), "10.0.0.1", "hw-1", Lease.State.BOUND,
                Instant.now().plusSeconds(3600), Instant.now(), "PXEClient"));
        hw.deactivate();
    }

    /** Every table's rows as JSON text, ordered. */
    private static Map<String, List<String>> contents(Connection c) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String table : Snapshot.TABLES) {
            List<String> rows = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT row_to_json(t)::text FROM " + table + " t ORDER BY 1")) {
                while (r.next()) {
                    rows.add(r.getString(1));
                }
            }
            out.put(table, rows);
        }
        return out;
    }
}
