package io.ironbell.launcher.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous archive, running beside the server: every two seconds it ships the WAL segments
 * PostgreSQL's archiver has finished into the archive, takes a base backup when the newest is
 * older than {@code archive.baseBackupHours} (at once when there is none), and then drops the
 * base backups beyond the newest {@code archive.keepBaseBackups} and the WAL only they needed.
 *
 * <p>Of several servers on one database only one archives: the one whose session holds the
 * archive's advisory lock; the others wait for it to let go.
 */
public final class Archiver implements AutoCloseable {

    /** The advisory lock of the one instance that archives (PgCluster's leader lock is another). */
    static final long ARCHIVE_LOCK = 0x1B_A5C_4EL;
    private static final Logger LOG = LoggerFactory.getLogger(Archiver.class);
    private static final Duration SHIP_EVERY = Duration.ofSeconds(2);

    /** How the archiver reaches the database: a role that may take base backups. */
    public record Connect(String url, String user, String password) {
    }

    private final Connect connect;
    private final WalShipper shipper;
    private final ArchiveStore store;
    private final Path work;
    private final Duration baseEvery;
    private final int keep;
    private final Thread thread;
    private volatile boolean running = true;
    private Connection session;
    private Instant lastBase;

    private Archiver(Connect connect, Path spool, ArchiveStore store, Path work, Duration baseEvery, int keep) {
        this.connect = connect;
        this.shipper = new WalShipper(spool, store, work);
        this.store = store;
        this.work = work;
        this.baseEvery = baseEvery;
        this.keep = keep;
        this.thread = new Thread(this::loop, "ironbell-archive");
        this.thread.setDaemon(true);
    }

    /** Starts archiving {@code spool} (where PostgreSQL's archiver writes) into {@code store}. */
    public static Archiver start(Connect connect, Path spool, ArchiveStore store, Path work, Duration baseEvery, int keep) throws IOException {
        if (keep < 1) {
            throw new IOException("archive.keepBaseBackups must be at least 1, was " + keep);
        }
        Files.createDirectories(work);
        Archiver a = new Archiver(connect, spool, store, work, baseEvery, keep);
        LOG.info("archive: WAL from {} and a base backup every {} h into {}, keeping {}", spool, baseEvery.toHours(), store.describe(), keep);
        a.thread.start();
        return a;
    }

    private void loop() {
        long backoff = 0;
        boolean waitingLogged = false;
        while (running) {
            try {
                if (!holdsLock()) {
                    if (!waitingLogged) {
                        LOG.info("archive: another server instance archives this database; this one waits to take over");
                        waitingLogged = true;
                    }
                    sleep(Duration.ofSeconds(10).toMillis());
                    continue;
                }
                waitingLogged = false;
                int shipped = shipper.ship();
                if (shipped > 0) {
                    LOG.debug("archive: shipped {} WAL file(s)", shipped);
                }
                if (baseBackupDue()) {
                    baseBackup();
                }
                backoff = 0;
                sleep(SHIP_EVERY.toMillis());
            } catch (IOException | SQLException | RuntimeException e) {
                backoff = Math.min(60_000, Math.max(2_000, backoff * 2));
                LOG.warn("archive: {} (trying again in {} s)", e.getMessage(), backoff / 1000);
                closeSession();
                sleep(backoff);
            }
        }
    }

    private boolean holdsLock() throws SQLException {
        if (session != null && session.isValid(5)) {
            return true;
        }
        closeSession();
        Properties p = new Properties();
        p.setProperty("user", connect.user());
        p.setProperty("password", connect.password());
        p.setProperty("ApplicationName", "ironbell-archive");
        // bytea in binary from the first read: half the bytes of hex text
        p.setProperty("prepareThreshold", "-1");
        Connection c = DriverManager.getConnection(connect.url(), p);
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_try_advisory_lock(" + ARCHIVE_LOCK + ")")) {
            r.next();
            if (!r.getBoolean(1)) {
                c.close();
                return false;
            }
        }
        session = c;
        return true;
    }

    private boolean baseBackupDue() throws IOException {
        if (lastBase == null) {
            List<BaseBackup.Info> all = BaseBackup.list(store, work);
            lastBase = all.isEmpty() ? Instant.EPOCH : all.get(all.size() - 1).stopped();
        }
        return !Instant.now().isBefore(lastBase.plus(baseEvery));
    }

    private void baseBackup() throws IOException, SQLException {
        long t0 = System.nanoTime();
        BaseBackup.Info info = BaseBackup.take(session, store, work);
        lastBase = info.stopped();
        LOG.info("archive: base backup {} taken ({} MB compressed, {} ms), WAL from {}", info.id(), info.bytes() / (1 << 20),
                (System.nanoTime() - t0) / 1_000_000, info.startWal());
        // the WAL up to the backup's end, so that it can be restored at once
        shipper.ship();
        Retention.apply(store, work, keep);
    }

    private void closeSession() {
        if (session != null) {
            try {
                session.close();
            } catch (SQLException ignored) {
                // gone already
            }
            session = null;
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops archiving after the current step (a base backup under way is abandoned) and lets go of the database. */
    public void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeSession();
    }

    /**
     * Stops, ships what the spool holds by now (after the database stopped: its last finished
     * segments; what fails stays there for the next start) and closes the archive.
     */
    @Override
    public void close() {
        stop();
        try {
            shipper.ship();
        } catch (IOException e) {
            LOG.warn("archive: the last WAL files stay in the spool for the next start: {}", e.getMessage());
        }
        store.close();
    }
}
