package io.ironbell.ipxe.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
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
    /** Unfinished workflows and the workers (lower-case MACs or hardware ids) their actions name. */
    private final Map<String, Set<String>> workersByWorkflow = new ConcurrentHashMap<>();
    private volatile Set<String> workers = Set.of();
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
        Set<String> w = workers;
        return w.contains(mac.toString()) || hw.id() != null && w.contains(hw.id().toLowerCase(Locale.ROOT));
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
            track(store.get(id));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NOT_FOUND) {
                workersByWorkflow.remove(id);
                publish();
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
        workersByWorkflow.keySet().retainAll(all.keySet());
        workersByWorkflow.putAll(all);
        publish();
        loaded = true;
    }

    private void track(Workflow w) {
        if (w.state().isTerminal()) {
            workersByWorkflow.remove(w.id());
        } else {
            workersByWorkflow.put(w.id(), workersOf(w));
        }
        publish();
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

    private void publish() {
        Set<String> next = new HashSet<>();
        workersByWorkflow.values().forEach(next::addAll);
        workers = Set.copyOf(next);
    }
}
