package io.ironbell.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's log lines against an HTTP server that takes them as Ironbell's does: bodies over
 * its limit get 413 (http.maxRequestBytes, 1 MiB by default), and it can be away (503).
 */
class LogShipperTest {

    static final String MAC = "52:54:00:00:00:01";

    private final List<JsonNode> lines = new CopyOnWriteArrayList<>();
    private final AtomicInteger largestBody = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicBoolean away = new AtomicBoolean();
    private volatile int maxRequestBytes = 1 << 20;
    private HttpServer http;

    private ServerClient server() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ObjectMapper json = new ObjectMapper();
        http.createContext("/api/v1/worker/" + MAC + "/logs", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            int status;
            if (away.get()) {
                status = 503;
            } else if (body.length > maxRequestBytes) {
                refused.incrementAndGet();
                status = 413;
            } else {
                largestBody.accumulateAndGet(body.length, Math::max);
                json.readTree(body).get("lines").forEach(lines::add);
                status = 204;
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        http.start();
        return new ServerClient(URI.create("http://127.0.0.1:" + http.getAddress().getPort()), MAC, "");
    }

    @AfterEach
    void stop() {
        if (http != null) {
            http.stop(0);
        }
    }

    private List<String> texts() {
        return lines.stream().map(l -> l.get("text").asText()).toList();
    }

    @Test
    void aBurstOfLongLinesArrivesWholeInRequestsUnderTheServersLimit() throws Exception {
        try (LogShipper shipper = new LogShipper(server(), 10_000)) {
            // 1.5 MB at once, within the queue's bytes: 500 of these lines would be one 1.3 MB request
            for (int i = 0; i < 600; i++) {
                shipper.add("dd", i + " " + "x".repeat(2_500));
            }
            assertTrue(shipper.flush(Duration.ofSeconds(60)));
        }
        assertEquals(0, refused.get(), "no request over the server's limit");
        assertEquals(600, lines.size(), "every line arrived");
        assertTrue(texts().get(599).startsWith("599 "));
        assertTrue(largestBody.get() <= 1 << 20);
    }

    @Test
    void aServerWithASmallerLimitStillGetsEveryLine() throws Exception {
        maxRequestBytes = 48 * 1024; // an operator lowered http.maxRequestBytes
        try (LogShipper shipper = new LogShipper(server(), 10_000)) {
            for (int i = 0; i < 300; i++) {
                shipper.add("dd", i + " " + "y".repeat(1_000));
            }
            assertTrue(shipper.flush(Duration.ofSeconds(60)));
        }
        assertEquals(300, lines.size(), "every line arrived, in smaller requests");
        assertTrue(texts().get(299).startsWith("299 "));
    }

    @Test
    void aLineLongerThanTheServerKeepsIsCut() throws Exception {
        try (LogShipper shipper = new LogShipper(server(), 10_000)) {
            shipper.add("container", "z".repeat(2_000_000));
            shipper.add("container", "after");
            assertTrue(shipper.flush(Duration.ofSeconds(60)));
        }
        assertEquals(2, lines.size(), texts().toString());
        assertTrue(texts().get(0).length() <= 8192, "cut to what the server keeps: " + texts().get(0).length());
        assertTrue(texts().get(0).startsWith("zzzz"));
        assertEquals("after", texts().get(1));
    }

    @Test
    void whileTheServerIsAwayTheQueueIsBoundedByBytes() throws Exception {
        away.set(true);
        try (LogShipper shipper = new LogShipper(server(), 10_000)) {
            // 10,000 lines of 8,000 characters: 80 MB, more than the worker's whole heap
            for (int i = 0; i < 10_000; i++) {
                shipper.add("dd", i + " " + "w".repeat(8_000));
            }
            away.set(false);
            shipper.flush(Duration.ofSeconds(60));
            shipper.add("worker", "the end");
            assertTrue(shipper.flush(Duration.ofSeconds(60)));
        }
        long kept = texts().stream().filter(t -> t.contains("wwww")).count();
        long keptChars = texts().stream().filter(t -> t.contains("wwww")).mapToLong(String::length).sum();
        assertTrue(keptChars <= 4L << 20, "at most a few MiB were held: " + kept + " lines, " + keptChars + " characters");
        assertTrue(kept > 0, "the oldest lines were kept");
        assertTrue(texts().stream().anyMatch(t -> t.matches("\\d+ log lines were dropped.*")), "the drop is told: " + texts().stream()
                .filter(t -> !t.contains("wwww")).toList());
        assertEquals("the end", texts().get(texts().size() - 1));
    }
}
