package io.ironbell.restapi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ironbell.api.http.ResponseStream;
import io.ironbell.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Server-Sent Events: formats events, and keeps every open stream alive with a comment every
 * 15 seconds (so proxies and clients see the connection is alive), closing them all when the
 * bundle stops.
 */
@Component(service = EventStreams.class)
public final class EventStreams {

    /** Most streams open at once; more get 503. */
    static final int MAX_STREAMS = 1000;

    private final Set<ResponseStream> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ironbell-api-sse");
        t.setDaemon(true);
        return t;
    });

    public EventStreams() {
        heartbeat.scheduleWithFixedDelay(() -> {
            byte[] ping = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);
            open.removeIf(s -> !s.write(ping));
        }, 15, 15, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        heartbeat.shutdownNow();
        open.forEach(ResponseStream::close);
    }

    boolean full() {
        return open.size() >= MAX_STREAMS;
    }

    void opened(ResponseStream s) {
        open.add(s);
        s.onClose(() -> open.remove(s));
    }

    /** Writes one event; false when the client has gone. */
    static boolean send(ResponseStream s, String event, long id, Object data) {
        try {
            String json = Json.mapper().writeValueAsString(data);
            return s.write(("id: " + id + "\nevent: " + event + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
