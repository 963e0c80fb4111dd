package io.ironbell.restapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.Network;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.ResponseStream;
import io.ironbell.api.json.Json;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowService;
import io.ironbell.testing.MemoryHardwareLookup;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/**
 * What machines send, as the routes take and serve it: a report's message is cut before the
 * engine sees it, and syslog lines, which anyone can forge, are served marked as such.
 */
class MachineInputRoutesTest {

    static final String TOKEN = "s3cret-token-0123456789";
    static final String MAC = "52:54:00:12:34:56";

    private final MemoryHardwareLookup hardware = new MemoryHardwareLookup(new Hardware("node-1", null, new Network(List.of(
            new HardwareInterface(new Dhcp(MAC, null, null, null, null, null, null, null, new IpConfig("10.250.0.10", "255.255.255.0", null, 4,
                    null), null, null, null, null, null, null, null, null), null, null)), null), null));

    private Auth auth() throws Exception {
        return new Auth(Converters.standardConverter().convert(Map.of("token", TOKEN)).to(Auth.Config.class), null, hardware);
    }

    @Test
    void aReportsMessageIsCutWhereItIsAccepted() throws Exception {
        AtomicReference<ActionReport> seen = new AtomicReference<>();
        WorkflowService engine = (WorkflowService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WorkflowService.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("report")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    seen.set((ActionReport) args[1]);
                    return new Workflow("wf-1", "t", 1, Map.of(), null, ExecutionState.RUNNING, List.of(), 0, null, null, null, 1);
                });
        WorkerRoutes routes = new WorkerRoutes(auth(), engine, null, hardware);
        String body = Json.mapper().writeValueAsString(new ActionReport("wf-1", 0, ExecutionState.RUNNING, "m".repeat(500_000), null));
        HttpResponse r = routes.handle(new Request("POST", "/api/v1/worker/" + MAC + "/report", Map.of("mac", MAC, "op", "report"), body));
        assertEquals(200, r.status());
        String message = seen.get().message();
        assertEquals(2048, message.length(), "2 KiB of a message reach the engine");
        assertTrue(message.endsWith("m…"));
        assertEquals(ExecutionState.RUNNING, seen.get().state());
    }

    @Test
    void syslogLinesAreServedMarkedUnauthenticatedAndOtherFieldsAsTheyWere() throws Exception {
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        List<LogLine> lines = List.of(
                new LogLine(7, "node-1", at, "syslog", "info", "kernel: eth0 up"),
                new LogLine(8, "node-1", at, "image2disk", null, "wrote 1 GiB"));
        MachineLogStore store = new MachineLogStore() {
            @Override
            public void append(List<LogLine> l) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<LogLine> after(String machine, long afterSequence, int limit) {
                return lines.stream().filter(l -> l.sequence() > afterSequence).toList();
            }

            @Override
            public List<LogLine> tail(String machine, int limit) {
                return lines;
            }
        };
        EventStreams streams = new EventStreams();
        LogRoutes routes = new LogRoutes(auth(), store, hardware, streams);
        try {
            HttpResponse r = routes.handle(new Request("GET", "/api/v1/machines/node-1/logs", Map.of("machine", "node-1"), ""));
            JsonNode served = Json.mapper().readTree(r.bytes()).get("lines");
            assertTrue(served.get(0).path("unauthenticated").asBoolean(), "a syslog line is marked: " + served);
            assertFalse(served.get(1).has("unauthenticated"), "a worker's line makes no such claim: " + served);
            for (int i = 0; i < 2; i++) {
                JsonNode plain = Json.mapper().readTree(Json.mapper().writeValueAsBytes(lines.get(i)));
                JsonNode line = served.get(i);
                plain.fields().forEachRemaining(f -> assertEquals(f.getValue(), line.get(f.getKey()), "field " + f.getKey() + " as before"));
            }

            // the live stream says the same
            HttpResponse stream = routes.handle(new Request("GET", "/api/v1/machines/node-1/logs/stream", Map.of("machine", "node-1"), ""));
            Sink sink = new Sink();
            stream.streamer().accept(sink);
            sink.close();
            String events = sink.text();
            assertTrue(events.contains("\"source\":\"syslog\"") && events.contains("\"unauthenticated\":true"), events);
        } finally {
            routes.deactivate();
            streams.deactivate();
        }
    }

    /** A response stream that keeps what it is sent. */
    private static final class Sink implements ResponseStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final List<Runnable> onClose = new ArrayList<>();
        private volatile boolean open = true;

        @Override
        public synchronized boolean write(byte[] b) {
            bytes.writeBytes(b);
            return open;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            onClose.forEach(Runnable::run);
        }

        @Override
        public void onClose(Runnable action) {
            onClose.add(action);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** A request from the admin (the token), as the HTTP server hands it to a route. */
    private record Request(String method, String path, Map<String, String> pathParams, String text) implements HttpRequest {

        @Override
        public Map<String, List<String>> queryParams() {
            return Map.of();
        }

        @Override
        public Optional<String> header(String name) {
            return name.equalsIgnoreCase("Authorization") ? Optional.of("Bearer " + TOKEN) : Optional.empty();
        }

        @Override
        public byte[] body() {
            return text.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("192.0.2.1", 40000);
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("192.0.2.2", 8080);
        }
    }
}
