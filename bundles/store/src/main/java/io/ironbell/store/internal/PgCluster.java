package io.ironbell.store.internal;

import io.ironbell.api.cluster.Cluster;
import io.ironbell.api.cluster.ServerInstance;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.store.StoreException;
import java.net.InetAddress;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance in {@code server_instance}: a heartbeat every {@value Cluster#HEARTBEAT_SECONDS}
 * seconds, which also says whether it leads (its {@link NotificationListener} session holds the
 * leader's lock) and reads what the others said. A clean stop deletes its row.
 */
@Component(configurationPid = PgCluster.PID, service = {Cluster.class, MetricSet.class})
public final class PgCluster implements Cluster, MetricSet {

    static final String PID = "io.ironbell.server";

    private static final Logger LOG = LoggerFactory.getLogger(PgCluster.class);

    @ObjectClassDefinition(name = "Ironbell server instance", description = "server.instance")
    public @interface Config {
        @AttributeDefinition(description = "this instance's name among those on the database; empty: host name and process id")
        String instance() default "";
    }

    private final Database db;
    private final String id;
    private final String host;
    private final long pid = ProcessHandle.current().pid();
    private final String version;
    private final Instant started = Instant.now();
    private final ScheduledExecutorService heart;
    private volatile List<ServerInstance> seen = List.of();

    @Activate
    public PgCluster(Config config, @Reference Database db, BundleContext context) {
        this.db = db;
        this.host = hostName();
        this.id = config.instance().isBlank() ? host + "-" + pid : config.instance().trim();
        String v = context == null ? null : context.getProperty("ironbell.version");
        this.version = v == null ? "unknown" : v;
        this.heart = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ironbell-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heart.scheduleWithFixedDelay(this::beat, 0, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
        LOG.info("server instance {} on {}", id, host);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        heart.shutdownNow();
        heart.awaitTermination(2, TimeUnit.SECONDS);
        try {
            // gone at once for the others, rather than after ALIVE_SECONDS
            db.tx(s -> s.getMapper(Mappers.InstanceSql.class).forget(id));
        } catch (StoreException | RuntimeException e) {
            LOG.debug("instance {} not removed: {}", id, e.getMessage());
        }
    }

    @Override
    public String self() {
        return id;
    }

    @Override
    public boolean leads() {
        return db.leads();
    }

    @Override
    public List<ServerInstance> instances() {
        return seen;
    }

    /** Writes this instance's heartbeat and reads everyone's; the database away, the last reading stays. */
    void beat() {
        boolean leads = db.leads();
        try {
            List<ServerInstance> all = db.tx(s -> {
                Mappers.InstanceSql sql = s.getMapper(Mappers.InstanceSql.class);
                sql.beat(id, host, pid, version, Timestamp.from(started), leads);
                List<ServerInstance> out = new ArrayList<>();
                for (Map<String, Object> r : sql.all(ALIVE_SECONDS)) {
                    out.add(new ServerInstance(Rows.str(r, "id"), Rows.str(r, "host"), Rows.longValue(r, "pid"), Rows.str(r, "version"),
                            Rows.instant(r, "started_at"), Rows.instant(r, "heartbeat_at"), Boolean.TRUE.equals(r.get("leader")),
                            Boolean.TRUE.equals(r.get("alive"))));
                }
                return out;
            });
            List<ServerInstance> ordered = new ArrayList<>();
            all.stream().filter(i -> i.id().equals(id)).forEach(ordered::add);
            all.stream().filter(i -> !i.id().equals(id)).forEach(ordered::add);
            seen = List.copyOf(ordered);
        } catch (StoreException | RuntimeException e) {
            LOG.debug("heartbeat of {} not written: {}", id, e.getMessage());
        }
    }

    @Override
    public void collect(MetricWriter w) {
        w.gauge("ironbell_instance_info", "this server instance (value 1), by name and version", 1, "instance", id, "version", version);
        w.gauge("ironbell_instance_leader", "1 while this instance holds the leader's lock (it sweeps timeouts for all)", leads() ? 1 : 0);
        w.gauge("ironbell_instances_alive", "server instances on the database with a heartbeat in the last " + ALIVE_SECONDS + " s",
                seen.stream().filter(ServerInstance::alive).count());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
