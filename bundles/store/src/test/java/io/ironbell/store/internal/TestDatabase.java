package io.ironbell.store.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.osgi.util.converter.Converters;

/**
 * A fresh database on the test PostgreSQL (started by .ci/pg), dropped afterwards. Tests fail,
 * never skip, when that server is not there.
 */
public final class TestDatabase implements AutoCloseable {

    static final String ADMIN_URL = System.getProperty("ironbell.test.jdbc.url", "jdbc:postgresql://127.0.0.1:55432/postgres");
    static final String USER = "ironbell";

    final String name = "ib_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final String url = ADMIN_URL.substring(0, ADMIN_URL.lastIndexOf('/') + 1) + name;

    public TestDatabase() throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
    }

    static Connection admin() throws SQLException {
        try {
            return DriverManager.getConnection(ADMIN_URL, USER, "");
        } catch (SQLException e) {
            throw new SQLException("the test PostgreSQL is not reachable at " + ADMIN_URL
                    + " (start it with .ci/pg start): " + e.getMessage(), e);
        }
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, USER, "");
    }

    /** The store's typed configuration for this database. */
    Database.Config config(Map<String, Object> overrides) {
        Map<String, Object> m = new HashMap<>();
        m.put("jdbc.url", url);
        m.put("user", USER);
        m.put("password", "");
        m.put("pool.size", 10);
        m.put("pool.timeoutMillis", 2000);
        m.putAll(overrides);
        return Converters.standardConverter().convert(m).to(Database.Config.class);
    }

    /** Starts a Database component on this database and waits until it is ready and listening. */
    Database start(Map<String, Object> overrides) throws InterruptedException {
        Database db = new Database(config(overrides));
        awaitReady(db, Duration.ofSeconds(20));
        return db;
    }

    static void awaitReady(Database db, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!db.check().ready()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("storage not ready after " + timeout.toSeconds() + " s: " + db.check().reason());
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
