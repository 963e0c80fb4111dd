package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MigrationsTest {

    private final Migrations migrations = Migrations.bundled();

    @Test
    void fromAnEmptyDatabaseToTheNewestVersion() throws Exception {
        try (TestDatabase t = new TestDatabase(); Connection c = t.connect()) {
            assertEquals(0, Migrations.current(c));
            assertEquals(migrations.latest(), migrations.migrate(c));
            assertEquals(migrations.latest(), Migrations.current(c));
            assertEquals(migrations.latest(), migrations.migrate(c), "a second run changes nothing");
            for (String table : Snapshot.TABLES) {
                assertEquals(0, count(c, table), table + " exists and is empty");
            }
        }
    }

    @Test
    void fromThePreviousVersionKeepingItsData() throws Exception {
        try (TestDatabase t = new TestDatabase(); Connection c = t.connect()) {
            int previous = migrations.latest() - 1;
            assertEquals(previous, migrations.migrate(c, previous));
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO hardware (id, data) VALUES ('hw-1', '{\"id\":\"hw-1\"}')");
                s.execute("INSERT INTO hardware_interface (hardware_id, mac, ip) VALUES ('hw-1', '52:54:00:00:00:01', '10.0.0.1')");
            }
            assertEquals(migrations.latest(), migrations.migrate(c));
            assertEquals(1, count(c, "hardware"));
            assertEquals(1, count(c, "hardware_interface"));
            assertEquals(0, count(c, "lease"));
        }
    }

    @Test
    void concurrentInstancesMigrateOnce() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    try (Connection c = t.connect()) {
                        return migrations.migrate(c);
                    }
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(migrations.latest(), f.get());
            }
            pool.shutdown();
            try (Connection c = t.connect()) {
                assertEquals(migrations.latest(), count(c, "schema_migrations"));
            }
        }
    }

    @Test
    void aNewerSchemaIsRefused() throws Exception {
        try (TestDatabase t = new TestDatabase(); Connection c = t.connect()) {
            migrations.migrate(c);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
            }
            SQLException e = assertThrows(SQLException.class, () -> migrations.migrate(c));
            assertTrue(e.getMessage().contains("999"), e.getMessage());
        }
    }

    static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
            r.next();
            return r.getLong(1);
        }
    }
}
