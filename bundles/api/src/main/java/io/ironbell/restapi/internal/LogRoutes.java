package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.auth.Role;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.json.Json;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/machines/{machine}/logs} (by hardware id, MAC or IP): the last
 * {@code ?tail=} lines (default 100), or those after {@code ?after=}; and
 * {@code .../logs/stream}, which follows the log as Server-Sent Events. A line from syslog
 * carries {@code "unauthenticated": true}: it was taken from a UDP datagram by its source
 * address, which anyone on the network can forge, so nothing shows that the machine wrote it.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/machines/{machine}/logs", "/api/v1/machines/{machine}/logs/stream"})
public final class LogRoutes implements HttpRoute {

    private final Auth auth;
    private final MachineLogStore logs;
    private final HardwareLookup hardware;
    private final EventStreams streams;
    private final ScheduledExecutorService poller = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "ironbell-api-logs");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public LogRoutes(@Reference Auth auth, @Reference MachineLogStore logs, @Reference HardwareLookup hardware,
                     @Reference EventStreams streams) {
        this.auth = auth;
        this.logs = logs;
        this.hardware = hardware;
        this.streams = streams;
    }

    @Deactivate
    void deactivate() {
        poller.shutdownNow();
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        auth.require(r, Role.VIEWER);
        String key = r.pathParam("machine");
        Hardware hw = hardware.find(key).orElseThrow(() -> HttpException.notFound("no hardware with id, MAC or IP " + key));
        try {
            if (r.path().endsWith("/stream")) {
                return follow(hw.id(), Api.longParam(r, "after", -1));
            }
            long after = Api.longParam(r, "after", -1);
            int limit = (int) Math.min(PageRequest.MAX_LIMIT, Math.max(1, Api.longParam(r, "tail", Api.longParam(r, "limit", 100))));
            List<LogLine> lines = after >= 0 ? logs.after(hw.id(), after, limit) : logs.tail(hw.id(), limit);
            return HttpResponse.json(200, Map.of("machine", hw.id(), "lines", lines.stream().map(LogRoutes::served).toList()));
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }

    /** A line as clients get it: its fields as they always were, and a mark on what syslog brought. */
    static Object served(LogLine l) {
        if (!"syslog".equals(l.source())) {
            return l;
        }
        ObjectNode n = Json.mapper().valueToTree(l);
        n.put("unauthenticated", true);
        return n;
    }

    /** Polls the store twice a second for new lines; the poll stops when the client leaves. */
    private HttpResponse follow(String machine, long after) throws StoreException, HttpException {
        if (streams.full()) {
            throw new HttpException(503, "overloaded", "too many streams are open");
        }
        List<LogLine> recent = after >= 0 ? logs.after(machine, after, PageRequest.MAX_LIMIT) : logs.tail(machine, 100);
        return HttpResponse.stream(200, "text/event-stream", out -> {
            streams.opened(out);
            AtomicLong last = new AtomicLong(Math.max(after, 0));
            for (LogLine l : recent) {
                EventStreams.send(out, "line", l.sequence(), served(l));
                last.set(l.sequence());
            }
            AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
            task.set(poller.scheduleWithFixedDelay(() -> {
                try {
                    for (LogLine l : logs.after(machine, last.get(), PageRequest.MAX_LIMIT)) {
                        if (!EventStreams.send(out, "line", l.sequence(), served(l))) {
                            break;
                        }
                        last.set(l.sequence());
                    }
                } catch (StoreException e) {
                    // the database is away: try again on the next tick
                }
            }, 500, 500, TimeUnit.MILLISECONDS));
            out.onClose(() -> task.get().cancel(false));
        }).withHeader("Cache-Control", "no-cache");
    }
}
