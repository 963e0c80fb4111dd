package io.ironbell.store.internal;

import io.ironbell.api.template.Task;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.workflow.ActionClaim;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.util.converter.Converters;

/**
 * Action claims per second against PostgreSQL, with one store instance or two on the same
 * database (as two Ironbell servers would be), {@code threads} claimers in all. A machine runs
 * one action at a time, so each worker yields one fresh claim (then its running action comes
 * back resumed). Checks that no action is claimed twice.
 *
 * <p>{@code java -cp bench/jmh/target/benchmarks.jar io.ironbell.store.internal.ClaimThroughput
 * ADMIN_JDBC_URL USER INSTANCES THREADS WORKERS WORKFLOWS_PER_WORKER}
 */
public final class ClaimThroughput {

    public static void main(String[] args) throws Exception {
        String admin = args[0];
        String user = args[1];
        int instances = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int workers = Integer.parseInt(args[4]);
        int perWorker = Integer.parseInt(args[5]);
        String name = "ib_bench_" + System.nanoTime();
        try (Connection c = DriverManager.getConnection(admin, user, ""); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        String url = admin.substring(0, admin.lastIndexOf('/') + 1) + name;
        List<Database> dbs = new ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                Map<String, Object> cfg = new HashMap<>();
                cfg.put("jdbc.url", url);
                cfg.put("user", user);
                cfg.put("password", "");
                cfg.put("pool.size", Math.max(2, threads / instances + 1));
                Database db = new Database(Converters.standardConverter().convert(cfg).to(Database.Config.class));
                while (!db.check().ready()) {
                    Thread.sleep(20);
                }
                dbs.add(db);
            }
            PgWorkflowStore seed = new PgWorkflowStore(dbs.get(0));
            for (int w = 0; w < workers; w++) {
                for (int k = 0; k < perWorker; k++) {
                    seed.create(workflow(worker(w)));
                }
            }
            int total = workers * perWorker;
            Set<String> claimed = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                PgWorkflowStore store = new PgWorkflowStore(dbs.get(t % instances));
                int first = t;
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                        // each claimer serves the workers w ≡ first (mod threads), like workers spread over servers
                        for (int w = first % workers; w < workers; w += Math.min(threads, workers)) {
                            for (Optional<ActionClaim> c = store.claimNext(worker(w)); c.isPresent() && !c.get().resumed();
                                 c = store.claimNext(worker(w))) {
                                if (!claimed.add(c.get().workflow().id())) {
                                    duplicates.incrementAndGet();
                                }
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                th.start();
                ts.add(th);
            }
            long t0 = System.nanoTime();
            go.countDown();
            for (Thread th : ts) {
                th.join();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("instances=%d threads=%d workers=%d claims=%d duplicates=%d seconds=%.2f claims_per_second=%.0f%n",
                    instances, threads, workers, claimed.size(), duplicates.get(), s, claimed.size() / s);
            if (claimed.size() != total || duplicates.get() != 0) {
                throw new IllegalStateException("claimed " + claimed.size() + " of " + total + " with " + duplicates + " duplicates");
            }
        } finally {
            dbs.forEach(Database::deactivate);
            try (Connection c = DriverManager.getConnection(admin, user, ""); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    private static String worker(int w) {
        return String.format("52:54:00:%02x:%02x:%02x", (w >> 16) & 0xFF, (w >> 8) & 0xFF, w & 0xFF);
    }

    private static Workflow workflow(String worker) {
        TemplateAction a = new TemplateAction("stream", "quay.io/tinkerbell-actions/image2disk:v1.0.0", 600, null, null,
                Map.of("DEST_DISK", "/dev/sda"), null, null, null);
        Template t = new Template("0.1", "bench", 1800, List.of(new Task("install", worker, null, null, List.of(a), null)), null);
        return new Workflow(null, "tpl", 1, Map.of("device_1", worker), t, ExecutionState.PENDING,
                List.of(new ActionStatus("install", "stream", worker, ExecutionState.PENDING, 0, null, null, null, null)),
                0, null, null, null, 0);
    }
}
