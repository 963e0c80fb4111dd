package io.ironbell.store.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ibatis.exceptions.PersistenceException;
import org.apache.ibatis.mapping.Environment;
import org.apache.ibatis.session.Configuration;
import org.apache.ibatis.session.SqlSession;
import org.apache.ibatis.session.SqlSessionFactory;
import org.apache.ibatis.session.SqlSessionFactoryBuilder;
import org.apache.ibatis.transaction.jdbc.JdbcTransactionFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to PostgreSQL: a HikariCP pool, the schema brought up to date, MyBatis, the
 * LISTEN connection that tells every store of changes made by any instance, and the readiness
 * of it all. The database may be down when the server starts or go away later: the component
 * stays up, reports not-ready, and reconnects by itself.
 */
@Component(configurationPid = Database.PID, service = {Database.class, ReadinessCheck.class, Transactions.class},
        property = ReadinessCheck.NAME + "=storage")
@Designate(ocd = Database.Config.class)
public final class Database implements ReadinessCheck, Transactions {

    static final String PID = "io.ironbell.storage";

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    @ObjectClassDefinition(name = "Ironbell storage", description = "PostgreSQL connection (storage.* keys)")
    public @interface Config {
        @AttributeDefinition(description = "JDBC URL; the launcher fills it in for the embedded server")
        String jdbc_url() default "jdbc:postgresql://127.0.0.1:5432/ironbell";

        @AttributeDefinition(description = "database user")
        String user() default "ironbell";

        @AttributeDefinition(description = "database password", type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(description = "most pooled connections")
        int pool_size() default 10;

        @AttributeDefinition(description = "milliseconds to wait for a pooled connection")
        long pool_timeoutMillis() default 5000;

        @AttributeDefinition(description = "lines kept per machine log")
        int log_maxLinesPerMachine() default 10_000;

        @AttributeDefinition(description = "days the audit log keeps an entry")
        int audit_retentionDays() default 365;

        @AttributeDefinition(description = "PEM public keys (files, comma-separated) whose detached signature a pushed plugin must "
                + "carry; empty: signatures are not required")
        String plugins_trustedKeys() default "";

        @AttributeDefinition(description = "file of the key that encrypts Secrets' values (AES-256, made on first use, mode 0600); "
                + "empty: data/secrets.key. Keep it out of the database's backups")
        String secrets_keyFile() default "";
    }

    /** Something to run in a transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(SqlSession session) throws StoreException;
    }

    /** The transaction open on a thread: its session and what to do once it commits. */
    private static final class Unit {
        final SqlSession session;
        final List<Runnable> afterCommit = new ArrayList<>();
        final Map<String, Map<String, Object>> uncommitted = new HashMap<>();

        Unit(SqlSession session) {
            this.session = session;
        }
    }

    /** Carries a unit's own checked exception through {@link #tx}. */
    private static final class Carrier extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Carrier(Exception cause) {
            super(cause);
        }
    }

    private final ThreadLocal<Unit> unit = new ThreadLocal<>();
    private final Config config;
    private final HikariDataSource pool;
    private final SqlSessionFactory sessions;
    private final Migrations migrations = Migrations.bundled();
    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService health;
    private final NotificationListener listener;
    private volatile boolean migrated;
    private volatile boolean reachable;
    private volatile String problem = "not connected yet";

    @Activate
    public Database(Config config) {
        this.config = config;
        if (config.pool_size() < 1) {
            throw new IllegalArgumentException("storage.pool.size must be at least 1, was " + config.pool_size());
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("ironbell-store");
        // A DataSource made here, not a driver class name: Hikari would load the driver through
        // the thread's context class loader, which may see another copy of pgjdbc than this bundle's.
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(config.jdbc_url());
        ds.setUser(config.user());
        ds.setPassword(config.password());
        ds.setApplicationName("ironbell");
        ds.setTcpKeepAlive(true);
        ds.setSocketTimeout(30);
        hc.setDataSource(ds);
        hc.setMaximumPoolSize(config.pool_size());
        hc.setMinimumIdle(Math.min(2, config.pool_size()));
        hc.setConnectionTimeout(Math.max(250, config.pool_timeoutMillis()));
        hc.setValidationTimeout(2000);
        // Start even when the database is away; the health check reconnects.
        hc.setInitializationFailTimeout(-1);
        pool = new HikariDataSource(hc);

        Configuration mybatis = new Configuration(new Environment("ironbell", new JdbcTransactionFactory(), pool));
        mybatis.setMapUnderscoreToCamelCase(true);
        mybatis.setDefaultStatementTimeout(30);
        Mappers.register(mybatis);
        sessions = new SqlSessionFactoryBuilder().build(mybatis);

        listener = new NotificationListener(config.jdbc_url(), config.user(), config.password(), this::dispatch, () -> {
            if (migrated) {
                resyncAll();
            }
        });
        health = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ironbell-store-health");
            t.setDaemon(true);
            return t;
        });
        health.scheduleWithFixedDelay(this::checkHealth, 0, 1, TimeUnit.SECONDS);
        listener.start();
        LOG.info("started: storage on {}", redact(config.jdbc_url()));
    }

    @Deactivate
    void deactivate() {
        health.shutdownNow();
        listener.stop();
        pool.close();
        LOG.info("stopped: storage on {}", redact(config.jdbc_url()));
    }

    /** Migrates when first reachable, then checks the database every second. */
    private void checkHealth() {
        try (Connection c = pool.getConnection()) {
            if (!migrated) {
                int v = migrations.migrate(c);
                migrated = true;
                LOG.info("storage ready: schema version {}", v);
                // If the listener is already up it skipped its resync; otherwise it resyncs when it connects.
                if (listener.isListening()) {
                    resyncAll();
                }
            } else {
                try (Statement s = c.createStatement()) {
                    s.setQueryTimeout(2);
                    s.execute("SELECT 1");
                }
            }
            if (!reachable) {
                reachable = true;
                problem = null;
                LOG.info("database reachable at {}", redact(config.jdbc_url()));
            }
        } catch (SQLException | RuntimeException e) {
            String why = rootMessage(e);
            if (reachable || problem == null || !problem.equals(why)) {
                LOG.warn("database not usable at {}: {}", redact(config.jdbc_url()), why);
            }
            reachable = false;
            problem = why;
        }
    }

    @Override
    public Readiness check() {
        if (migrated && reachable && listener.isListening()) {
            return Readiness.up();
        }
        if (migrated && reachable) {
            return Readiness.down("change notifications not listening yet");
        }
        return Readiness.down("database " + redact(config.jdbc_url()) + " not usable: " + problem);
    }

    /** Whether the schema is in place and the database answered within the last second. */
    boolean isReady() {
        return migrated && reachable;
    }

    /** Whether this instance's own session holds the leader's lock ({@link NotificationListener}). */
    boolean leads() {
        return listener.leads();
    }

    /** Tells the listeners of this instance at once of a change whose notification is on its way. */
    void changedHere(String table, String id) {
        dispatch(table, id);
    }

    private void dispatch(String table, String id) {
        for (ChangeListener l : listeners) {
            try {
                l.changed(table, id);
            } catch (RuntimeException e) {
                LOG.warn("change listener {} failed on {}:{}", l.getClass().getName(), table, id, e);
            }
        }
    }

    /**
     * Every {@link ChangeListener} service, and the store's own caches, which register here
     * directly: one path for every listener, resyncs included.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(ChangeListener listener) {
        listeners.add(listener);
    }

    void removeListener(ChangeListener listener) {
        listeners.remove(listener);
    }

    /** Tells every listener to reload: after a reconnect, or a restore. */
    void resyncAll() {
        for (ChangeListener l : listeners) {
            try {
                l.resync();
            } catch (RuntimeException e) {
                LOG.warn("change listener {} failed to resync", l.getClass().getName(), e);
            }
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     * Inside another transaction on this thread it joins it, under a savepoint that a failure
     * rolls back to.
     */
    <T> T tx(Work<T> work) throws StoreException {
        if (!migrated) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE,
                    "database " + redact(config.jdbc_url()) + " not usable: " + problem);
        }
        Unit outer = unit.get();
        if (outer != null) {
            return nested(outer, work);
        }
        try (SqlSession s = sessions.openSession(false)) {
            Unit u = new Unit(s);
            unit.set(u);
            T result;
            try {
                result = work.run(s);
                // forced: MyBatis commits only after an insert/update/delete statement, and an
                // UPDATE ... RETURNING runs as a select (read-only work ends with a COMMIT either way)
                s.commit(true);
            } finally {
                unit.remove();
            }
            for (Runnable r : u.afterCommit) {
                r.run();
            }
            return result;
        } catch (PersistenceException e) {
            throw translate(e);
        }
    }

    private <T> T nested(Unit u, Work<T> work) throws StoreException {
        Savepoint point;
        try {
            point = u.session.getConnection().setSavepoint();
        } catch (SQLException e) {
            throw translate(e);
        }
        int hooks = u.afterCommit.size();
        try {
            T result = work.run(u.session);
            u.session.getConnection().releaseSavepoint(point);
            return result;
        } catch (PersistenceException e) {
            undo(u, point, hooks);
            throw translate(e);
        } catch (StoreException | RuntimeException e) {
            undo(u, point, hooks);
            throw e;
        } catch (SQLException e) {
            undo(u, point, hooks);
            throw translate(e);
        }
    }

    private static void undo(Unit u, Savepoint point, int hooks) {
        try {
            u.session.getConnection().rollback(point);
        } catch (SQLException ignored) {
            // the outer transaction fails and rolls back whole
        }
        u.session.clearCache();
        u.afterCommit.subList(hooks, u.afterCommit.size()).clear();
    }

    @Override
    public <T, E extends Exception> T atomically(Transactions.Work<T, E> work) throws E, StoreException {
        try {
            return tx(s -> {
                try {
                    return work.run();
                } catch (StoreException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new Carrier(e);
                }
            });
        } catch (Carrier c) {
            @SuppressWarnings("unchecked")
            E own = (E) c.getCause();
            throw own;
        }
    }

    /** Runs {@code effect} once the transaction open on this thread commits; at once when none is. */
    void afterCommit(Runnable effect) {
        Unit u = unit.get();
        if (u == null) {
            effect.run();
        } else {
            u.afterCommit.add(effect);
        }
    }

    /**
     * Records written by the transaction open on this thread and not committed yet, by key, for
     * the in-memory indexes to see their own writes ({@code null}: deleted); an empty map when
     * no transaction is open.
     */
    Map<String, Object> uncommitted(String kind) {
        Unit u = unit.get();
        return u == null ? new HashMap<>() : u.uncommitted.computeIfAbsent(kind, k -> new LinkedHashMap<>());
    }

    /** Whether a transaction is open on this thread. */
    boolean inTransaction() {
        return unit.get() != null;
    }

    /** A raw connection from the pool, for COPY (backup) and migrations. */
    Connection connection() throws StoreException {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw translate(e);
        }
    }

    Migrations migrations() {
        return migrations;
    }

    Config config() {
        return config;
    }

    /** Turns a database failure into the store's exception, by SQLSTATE. */
    static StoreException translate(Exception e) {
        SQLException sql = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                sql = s;
                break;
            }
        }
        if (sql == null) {
            return new StoreException(StoreException.Reason.UNAVAILABLE, "database error: " + rootMessage(e), e);
        }
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        String detail = sql instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getDetail() != null ? p.getServerErrorMessage().getDetail() : sql.getMessage();
        if (state.equals("23505")) {
            return new StoreException(StoreException.Reason.CONFLICT, detail, e);
        }
        if (state.startsWith("23") || state.startsWith("22")) {
            return new StoreException(StoreException.Reason.INVALID, detail, e);
        }
        return new StoreException(StoreException.Reason.UNAVAILABLE, "database not usable: " + rootMessage(e), e);
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** The URL without credentials, for logs and /readyz. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
