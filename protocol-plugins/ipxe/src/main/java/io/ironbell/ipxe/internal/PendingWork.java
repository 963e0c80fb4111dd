package io.ironbell.ipxe.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which workers have a workflow to run, kept in memory so that the iPXE route answers without
 * the database: loaded whole at start, updated by the store's change notifications (from every
 * server instance), and loaded whole again when the store says notifications may have been
 * missed (a reconnect, a restore). A machine with nothing to do is sent to its next boot device
 * instead of booting the in-memory OS.
 */
@Component(service = {PendingWork.class, ChangeListener.class})
public final class PendingWork implements ChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(PendingWork.class);

    private final WorkflowStore store;
    private final ScheduledExecutorService executor;
    /** Unfinished workflows and the workers (lower-case MACs or hardware ids) their actions name; the executor's thread only. */
    private final Map<String, Set<String>> workersByWorkflow = new HashMap<>();
    /**
     * Each worker and how many unfinished workflows name it, updated change by change (a change
     * costs its own workflow's workers, not a pass over every pending workflow: 10,000 workflows
     * created in a row stay linear); replaced whole by a reload.
     */
    private volatile Map<String, Integer> workers = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    @Activate
    public PendingWork(@Reference WorkflowStore store) {
        this.store = store;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ironbell-ipxe-pending");
            t.setDaemon(true);
            return t;
        });
        executor.execute(this::reload);
    }

    @Deactivate
    void deactivate() {
        executor.shutdownNow();
    }

    /**
     * Whether the machine has an unfinished workflow. Until the first load has succeeded (the
     * database not reachable yet) every machine counts as having one: booting the in-memory OS
     * for nothing costs a few minutes, sending a machine away that has work costs a whole cycle.
     */
    boolean hasWork(Hardware hw, MacAddress mac) {
        if (!loaded) {
            return true;
        }
        Map<String, Integer> w = workers;
        return w.containsKey(mac.toString()) || hw.id() != null && w.containsKey(hw.id().toLowerCase(Locale.ROOT));
    }

    @Override
    public void changed(String kind, String id) {
        if ("workflow".equals(kind)) {
            executor.execute(() -> refresh(id));
        }
    }

    @Override
    public void resync() {
        executor.execute(this::reload);
    }

    private void refresh(String id) {
        try {
            if (workersByWorkflow.containsKey(id)) {
                // its workers never change: only whether it ended
                Optional<ExecutionState> state = store.state(id);
                if (state.isEmpty() || state.get().isTerminal()) {
                    set(id, null);
                }
                return;
            }
            track(store.get(id));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NOT_FOUND) {
                set(id, null);
            } else {
                LOG.debug("workflow {} not refreshed: {}; the next reload will", id, e.getMessage());
            }
        }
    }

    private void reload() {
        Map<String, Set<String>> all = new HashMap<>();
        try {
            PageRequest page = new PageRequest(null, PageRequest.MAX_LIMIT);
            while (true) {
                Page<Workflow> p = store.list(page);
                for (Workflow w : p.items()) {
                    if (!w.state().isTerminal()) {
                        all.put(w.id(), workersOf(w));
                    }
                }
                if (p.next().isEmpty()) {
                    break;
                }
                page = new PageRequest(p.next().get(), PageRequest.MAX_LIMIT);
            }
        } catch (StoreException | RuntimeException e) {
            LOG.debug("pending workflows not reloaded: {}", e.getMessage());
            if (!loaded && !executor.isShutdown()) {
                // not loaded yet (the database is still starting): every machine boots until then, so try again soon
                executor.schedule(this::reload, 1, TimeUnit.SECONDS);
            }
            return;
        }
        workersByWorkflow.clear();
        workersByWorkflow.putAll(all);
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        all.values().forEach(ws -> ws.forEach(w -> counts.merge(w, 1, Integer::sum)));
        workers = counts;
        loaded = true;
    }

    private void track(Workflow w) {
        set(w.id(), w.state().isTerminal() ? null : workersOf(w));
    }

    /** The workflow's workers are now {@code now} (null: it is finished or gone). */
    private void set(String id, Set<String> now) {
        Set<String> before = now == null ? workersByWorkflow.remove(id) : workersByWorkflow.put(id, now);
        Map<String, Integer> counts = workers;
        if (now != null) {
            now.forEach(w -> counts.merge(w, 1, Integer::sum));
        }
        if (before != null) {
            before.forEach(w -> counts.computeIfPresent(w, (k, n) -> n == 1 ? null : n - 1));
        }
    }

    private static Set<String> workersOf(Workflow w) {
        Set<String> out = new HashSet<>();
        for (ActionStatus a : w.actions()) {
            if (a.worker() != null) {
                out.add(a.worker().toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }
}
