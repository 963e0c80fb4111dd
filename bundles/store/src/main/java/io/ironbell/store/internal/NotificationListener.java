package io.ironbell.store.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's own session with the database, one connection outside the pool. It LISTENs on
 * {@code ironbell_change} and hands each notification ({@code table:id}) to the stores; when the
 * connection breaks it reconnects with backoff, and after every (re)connect asks the stores to
 * resync, since notifications sent while it was away are lost. It also tries, every second, for
 * the leader's advisory lock, which PostgreSQL holds for it as long as the session lives: the
 * lock is the cluster's only coordinator, gone with a dead instance's session.
 */
final class NotificationListener implements Runnable {

    static final String CHANNEL = "ironbell_change";
    /** The leader's advisory lock: "ironbell" in ASCII. */
    static final long LEADER_LOCK = 0x69726f6e62656c6cL;

    private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);

    private final String url;
    private final Properties props = new Properties();
    private final BiConsumer<String, String> onChange;
    private final Runnable onResync;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean listening;
    private volatile boolean leads;
    private volatile Connection connection;

    NotificationListener(String url, String user, String password, BiConsumer<String, String> onChange, Runnable onResync) {
        this.url = url;
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "ironbell-listen");
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("connectTimeout", "5");
        this.onChange = onChange;
        this.onResync = onResync;
        this.thread = new Thread(this, "ironbell-store-listen");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void stop() {
        running = false;
        thread.interrupt();
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isListening() {
        return listening;
    }

    /** Whether this session holds the leader's lock (checked at least once a second). */
    boolean leads() {
        return leads && listening;
    }

    @Override
    public void run() {
        long backoff = 250;
        while (running) {
            try (Connection c = connect()) {
                connection = c;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                listening = true;
                backoff = 250;
                LOG.debug("listening on {}", CHANNEL);
                onResync.run();
                PGConnection pg = c.unwrap(PGConnection.class);
                long tried = 0;
                while (running) {
                    if (!leads && System.nanoTime() - tried > 1_000_000_000L) {
                        tried = System.nanoTime();
                        try (Statement s = c.createStatement()) {
                            leads = tryLock(s);
                        }
                        if (leads) {
                            LOG.info("this instance leads now (it holds the leader's lock): it sweeps timeouts for all");
                        }
                    }
                    PGNotification[] batch = pg.getNotifications(1000);
                    if (batch == null || batch.length == 0) {
                        // getNotifications returns without a round trip when idle: make one, so
                        // that a dead connection is noticed within a second
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT 1");
                        }
                        continue;
                    }
                    for (PGNotification n : batch) {
                        String p = n.getParameter();
                        int colon = p.indexOf(':');
                        if (colon > 0) {
                            onChange.accept(p.substring(0, colon), p.substring(colon + 1));
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    if (listening) {
                        LOG.warn("change notifications interrupted: {}", e.getMessage());
                    }
                    listening = false;
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 5000);
                }
            } catch (RuntimeException e) {
                LOG.error("change listener failed", e);
                listening = false;
                sleep(1000);
            } finally {
                connection = null;
                listening = false;
                leads = false;
            }
        }
    }

    private static boolean tryLock(Statement s) throws SQLException {
        try (java.sql.ResultSet r = s.executeQuery("SELECT pg_try_advisory_lock(" + LEADER_LOCK + ")")) {
            return r.next() && r.getBoolean(1);
        }
    }

    /** Through the driver itself: DriverManager's class-loader checks do not suit OSGi. */
    private Connection connect() throws SQLException {
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: " + url);
        }
        return c;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
