package io.ironbell.restapi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ironbell.api.fleet.FleetView;
import io.ironbell.api.fleet.MachineSummary;
import io.ironbell.api.http.ResponseStream;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
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
 * The fleet's live feed: while a client follows it, once a second it reads the machines a change
 * may have moved ({@link FleetView#changedSince}) and sends each whose summary differs from what
 * it sent last, to every client at once. One query a second however many clients watch and
 * however many workflows report: a rollout of hundreds of machines costs its clients one event
 * per changed machine per second at most.
 */
@Component(service = {FleetFeed.class, ChangeListener.class})
public final class FleetFeed implements ChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(FleetFeed.class);
    /** Seconds between reads. */
    static final long TICK_MILLIS = 1000;
    /** Reads look this far behind the last one, for commits that land late. */
    private static final long OVERLAP_MILLIS = 3000;
    /** More changed workflows than this between two reads: clients reload instead. */
    private static final int MAX_DIRTY = 20_000;

    private final FleetView fleet;
    /** Each client, and which machines it follows (all when null). */
    private final Map<ResponseStream, java.util.function.Predicate<MachineSummary>> clients = new ConcurrentHashMap<>();
    private final Set<String> dirtyWorkflows = ConcurrentHashMap.newKeySet();
    private final Set<String> dirtyHardware = ConcurrentHashMap.newKeySet();
    /** What clients were sent last, by hardware id; touched only on the feed's thread. */
    private final Map<String, String> sent = new java.util.HashMap<>();
    private volatile boolean reload;
    private Instant since = Instant.now();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ironbell-fleet-feed");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public FleetFeed(@Reference FleetView fleet) {
        this.fleet = fleet;
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        ticker.shutdownNow();
        clients.keySet().forEach(ResponseStream::close);
    }

    /**
     * Starts sending to a client the machines {@code which} accepts (all with {@code null}); it is
     * told {@code ready} at once.
     */
    void follow(ResponseStream client, java.util.function.Predicate<MachineSummary> which) {
        clients.put(client, which == null ? m -> true : which);
        client.onClose(() -> clients.remove(client));
        client.write("event: ready\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void changed(String kind, String id) {
        if (clients.isEmpty()) {
            return;
        }
        Set<String> dirty = kind.equals("workflow") ? dirtyWorkflows : kind.equals("hardware") ? dirtyHardware : null;
        if (dirty != null) {
            dirty.add(id);
            if (dirty.size() > MAX_DIRTY) {
                reload = true;
                dirty.clear();
            }
        }
    }

    @Override
    public void resync() {
        reload = true;
    }

    private void tick() {
        if (clients.isEmpty()) {
            sent.clear();
            dirtyWorkflows.clear();
            dirtyHardware.clear();
            since = Instant.now();
            return;
        }
        Instant now = Instant.now();
        Instant from = since.minusMillis(OVERLAP_MILLIS);
        Set<String> workflows = drain(dirtyWorkflows);
        Set<String> hardware = drain(dirtyHardware);
        if (reload) {
            reload = false;
            sent.clear();
            broadcast("event: reload\ndata: {}\n\n", null);
        }
        try {
            List<MachineSummary> changed = fleet.changedSince(from, workflows);
            since = now;
            for (MachineSummary m : changed) {
                String json = Json.mapper().writeValueAsString(m);
                hardware.remove(m.hardwareId());
                if (!json.equals(sent.put(m.hardwareId(), json))) {
                    broadcast("event: machine\ndata: " + json + "\n\n", m);
                }
            }
            // a changed record that no read returns was deleted
            for (String id : hardware) {
                sent.remove(id);
                broadcast("event: removed\ndata: " + Json.mapper().writeValueAsString(Map.of("hardwareId", id)) + "\n\n", null);
            }
        } catch (StoreException | JsonProcessingException | RuntimeException e) {
            LOG.debug("fleet feed read failed: {}", e.getMessage());
            dirtyWorkflows.addAll(workflows);
        }
    }

    private static Set<String> drain(Set<String> set) {
        Set<String> out = new HashSet<>();
        for (String s : set) {
            if (set.remove(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Sends an event to every client that follows {@code about} (every client when null). */
    private void broadcast(String event, MachineSummary about) {
        byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
        clients.entrySet().removeIf(c -> (about == null || c.getValue().test(about)) && !c.getKey().write(bytes));
    }
}
