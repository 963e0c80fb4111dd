package io.ironbell.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a real HTTP server on loopback (the JDK's), answering as Ironbell's routes
 * do: JSON bodies, {@code {"code","message"}} errors, 204s and an event stream.
 */
class ApiClientTest {

    private HttpServer server;
    private final Map<String, String> seen = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getRawPath();
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.put("request", x.getRequestMethod() + " " + x.getRequestURI() + " " + body);
        seen.put("authorization", String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
        seen.put("content-type", String.valueOf(x.getRequestHeaders().getFirst("Content-Type")));
        switch (path) {
            case "/api/v1/hardware/a%20b" -> send(x, 200, "{\"id\":\"a b\",\"n\":1}");
            case "/api/v1/echo" -> send(x, 201, body);
            case "/api/v1/empty" -> {
                x.sendResponseHeaders(204, -1);
                x.close();
            }
            case "/api/v1/missing" -> send(x, 404, "{\"code\":\"not_found\",\"message\":\"no hardware with id, MAC or IP x\"}");
            case "/api/v1/busy" -> send(x, 503, "database: connection refused");
            case "/api/v1/conflict" -> send(x, 409, "{\"code\":\"conflict\",\"message\":\"" + "x".repeat(1000) + "\"}");
            case "/api/v1/garbage" -> send(x, 200, "<html>not json</html>");
            case "/api/v1/events" -> {
                x.getResponseHeaders().add("Content-Type", "text/event-stream");
                x.sendResponseHeaders(200, 0);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(": comment\n\nevent: e\ndata: {\"n\":1}\n\ndata: {\"n\":2}\n\n".getBytes(StandardCharsets.UTF_8));
                }
            }
            default -> send(x, 500, "{}");
        }
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private ApiClient client(String token) {
        return new ApiClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"), token);
    }

    @Test
    void readsAnswersIntoTheTypeAskedForAndShowsTheToken() throws Exception {
        JsonNode hw = client("s3cret-token").get("/hardware/" + ApiClient.encode("a b"), JsonNode.class);
        assertEquals("a b", hw.get("id").asText());
        assertEquals("Bearer s3cret-token", seen.get("authorization"));
        record Echo(String name, int size) {
        }
        Echo echo = client(" ").post("/echo", new Echo("x", 3), Echo.class);
        assertEquals(new Echo("x", 3), echo, "an object goes as JSON and comes back typed");
        assertEquals("application/json", seen.get("content-type"));
        assertEquals("null", seen.get("authorization"), "a blank token is no token");
        String yaml = client(null).send("PUT", "/echo", "name: t\n", "application/yaml", String.class, Duration.ofSeconds(5));
        assertEquals("name: t\n", yaml, "a String goes as it is, with its content type");
        assertEquals("application/yaml", seen.get("content-type"));
        assertNull(client(null).get("/empty", JsonNode.class), "204 has no answer");
    }

    @Test
    void refusalsCarryTheServersStatusCodeAndMessage() {
        ApiException missing = assertThrows(ApiException.class, () -> client(null).get("/missing", JsonNode.class));
        assertEquals(404, missing.status());
        assertEquals("not_found", missing.code());
        assertEquals("no hardware with id, MAC or IP x", missing.getMessage());
        assertFalse(missing.retryable());

        ApiException busy = assertThrows(ApiException.class, () -> client(null).get("/busy", JsonNode.class));
        assertEquals(503, busy.status());
        assertEquals("database: connection refused", busy.getMessage(), "a body that is not JSON is the message as it is");
        assertTrue(busy.retryable());

        ApiException conflict = assertThrows(ApiException.class, () -> client(null).get("/conflict", JsonNode.class));
        assertEquals(301, conflict.getMessage().length(), "long messages are cut: " + conflict.getMessage().length());

        ApiException garbage = assertThrows(ApiException.class, () -> client(null).get("/garbage", JsonNode.class));
        assertEquals(502, garbage.status());
        assertTrue(garbage.getMessage().contains("GET /garbage answered what is not a JsonNode"), garbage.getMessage());
    }

    @Test
    void noServerIsUnreachableAndRetryable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ApiClient nobody = new ApiClient(URI.create("http://127.0.0.1:" + port), null);
        ApiException e = assertThrows(ApiException.class, () -> nobody.get("/hardware", JsonNode.class));
        assertTrue(e.unreachable());
        assertTrue(e.retryable());
        assertEquals("no Ironbell server answers at http://127.0.0.1:" + port + " for GET /api/v1/hardware", e.getMessage());
    }

    @Test
    void followsAnEventStreamToItsEnd() throws Exception {
        List<Integer> events = new ArrayList<>();
        client(null).stream("/events", JsonNode.class, e -> events.add(e.get("n").asInt()));
        assertEquals(List.of(1, 2), events);
        ApiException refused = assertThrows(ApiException.class, () -> client(null).stream("/missing", JsonNode.class, e -> { }));
        assertEquals(404, refused.status());
    }
}
