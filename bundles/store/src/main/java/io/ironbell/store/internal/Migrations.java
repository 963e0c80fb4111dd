package io.ironbell.store.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the schema to the newest version: ordered SQL files listed in
 * {@code migration/index.txt}, applied together in one transaction and recorded in
 * {@code schema_migrations}. An advisory lock makes concurrent server instances take turns,
 * so the one that comes second finds the work done.
 *
 * <p>Our own runner rather than Flyway or Liquibase: flyway-core 11 ships no OSGi manifest and
 * discovers migrations by scanning the class path, which bundle class loaders do not offer;
 * forty lines of JDBC do what Ironbell needs.
 */
final class Migrations {

    /** One migration file. */
    record Migration(int version, String name, String sql) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
    private static final Pattern FILE = Pattern.compile("V(\\d+)__(\\w+)\\.sql");
    private static final long LOCK_KEY = 0x1B0E11L; // any constant shared by every instance

    private final List<Migration> migrations;

    private Migrations(List<Migration> migrations) {
        this.migrations = migrations;
    }

    /** Loads the migrations shipped in this bundle. */
    static Migrations bundled() {
        List<Migration> list = new ArrayList<>();
        for (String line : lines("index.txt")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = FILE.matcher(line.trim());
            if (!m.matches()) {
                throw new IllegalStateException("malformed migration name " + line);
            }
            int version = Integer.parseInt(m.group(1));
            if (version != list.size() + 1) {
                throw new IllegalStateException("migration " + line + " is out of order");
            }
            list.add(new Migration(version, m.group(2), String.join("\n", lines(line.trim()))));
        }
        return new Migrations(List.copyOf(list));
    }

    private static List<String> lines(String resource) {
        try (InputStream in = Migrations.class.getResourceAsStream("/io/ironbell/store/migration/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing migration resource " + resource);
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest schema version these migrations produce. */
    int latest() {
        return migrations.size();
    }

    /** Applies every migration up to the newest. */
    int migrate(Connection c) throws SQLException {
        return migrate(c, latest());
    }

    /**
     * Applies the migrations up to {@code target} that the database lacks.
     *
     * @return the schema version afterwards
     */
    int migrate(Connection c, int target) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                s.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        + "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            }
            int current = current(c);
            if (current > latest()) {
                throw new SQLException("the database has schema version " + current
                        + ", newer than this Ironbell knows (" + latest() + "); use a newer Ironbell");
            }
            for (Migration m : migrations) {
                if (m.version() > current && m.version() <= target) {
                    long t0 = System.nanoTime();
                    try (Statement s = c.createStatement()) {
                        s.execute(m.sql());
                    }
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")) {
                        p.setInt(1, m.version());
                        p.setString(2, m.name());
                        p.executeUpdate();
                    }
                    LOG.info("schema migrated to version {} ({}) in {} ms", m.version(), m.name(), (System.nanoTime() - t0) / 1_000_000);
                    current = m.version();
                }
            }
            c.commit();
            return current;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** The schema version of the database, 0 when empty. */
    static int current(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT to_regclass('schema_migrations') IS NOT NULL")) {
            r.next();
            if (!r.getBoolean(1)) {
                return 0;
            }
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migrations")) {
            r.next();
            return r.getInt(1);
        }
    }
}
