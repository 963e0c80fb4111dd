package io.ironbell.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.util.converter.Converters;

/** The server on a real socket, with the JDK's HTTP client. */
class HttpServerTest {

    private HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private long nextId = 1;

    @BeforeEach
    void start() {
        Map<String, Object> config = new HashMap<>();
        config.put("port", 0);
        config.put("address", "127.0.0.1");
        config.put("maxRequestBytes", 4096);
        server = new HttpServer(Converters.standardConverter().convert(config).to(HttpServer.Config.class));
    }

    @AfterEach
    void stop() {
        server.deactivate();
    }

    private Map<String, Object> add(HttpRoute route, String path, String... methods) {
        Map<String, Object> props = new HashMap<>();
        props.put(Constants.SERVICE_ID, nextId++);
        props.put(HttpRoute.PATH, path);
        if (methods.length > 0) {
            props.put(HttpRoute.METHODS, methods);
        }
        server.addRoute(route, props);
        return props;
    }

    private java.net.http.HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                BodyHandlers.ofString());
    }

    @Test
    void routesComeAndGo() throws Exception {
        assertEquals(404, get("/hello").statusCode());
        assertTrue(get("/hello").body().contains("\"code\":\"not_found\""));
        Map<String, Object> props = add(r -> HttpResponse.text(200, "hi " + r.query("name").orElse("?")), "/hello");
        var res = get("/hello?name=ada");
        assertEquals(200, res.statusCode());
        assertEquals("hi ada", res.body());
        server.removeRoute(null, props);
        assertEquals(404, get("/hello").statusCode());
    }

    @Test
    void errorsAreJson() throws Exception {
        add(r -> {
            throw new HttpException(422, "invalid_field", "field mac is malformed");
        }, "/bad");
        add(r -> {
            throw new IllegalStateException("boom");
        }, "/broken");
        add(r -> HttpResponse.noContent(), "/post-only", "POST");
        var bad = get("/bad");
        assertEquals(422, bad.statusCode());
        assertEquals("{\"code\":\"invalid_field\",\"message\":\"field mac is malformed\"}", bad.body());
        assertEquals("application/json", bad.headers().firstValue("content-type").orElseThrow());
        assertEquals(500, get("/broken").statusCode());
        var wrong = get("/post-only");
        assertEquals(405, wrong.statusCode());
        assertEquals("POST", wrong.headers().firstValue("allow").orElseThrow());
        assertEquals(400, rawStatus("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    @Test
    void oversizedBodiesGet413() throws Exception {
        add(r -> HttpResponse.text(200, "got " + r.body().length), "/upload", "POST");
        var small = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/upload"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100))).build(), BodyHandlers.ofString());
        assertEquals("got 100", small.body());
        var big = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/upload"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(10_000))).build(), BodyHandlers.ofString());
        assertEquals(413, big.statusCode());
        assertTrue(big.body().contains("payload_too_large"));
    }

    @Test
    void filesAnswerRanges(@TempDir Path dir) throws Exception {
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        Path f = Files.write(dir.resolve("blob"), data);
        add(r -> HttpResponse.file(f, "application/octet-stream"), "/blob");
        var whole = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/blob")).build(),
                BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        assertTrue(java.util.Arrays.equals(data, whole.body()));
        var part = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/blob"))
                .header("Range", "bytes=1000-1999").build(), BodyHandlers.ofByteArray());
        assertEquals(206, part.statusCode());
        assertEquals("bytes 1000-1999/100000", part.headers().firstValue("content-range").orElseThrow());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(data, 1000, 2000), part.body()));
        var none = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/blob"))
                .header("Range", "bytes=200000-").build(), BodyHandlers.ofString());
        assertEquals(416, none.statusCode());
    }

    @Test
    void streamsAreChunked() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        add(r -> HttpResponse.stream(200, "text/event-stream", s -> new Thread(() -> {
            s.onClose(closed::countDown);
            for (int i = 0; i < 3; i++) {
                s.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
            s.close();
        }).start()), "/events");
        var res = get("/events");
        assertEquals("data: 0\n\ndata: 1\n\ndata: 2\n\n", res.body());
        assertTrue(closed.await(5, TimeUnit.SECONDS));
        // the connection stays usable
        assertEquals(200, get("/events").statusCode());
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        add(r -> HttpResponse.text(200, "pong"), "/ping");
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String head = readResponse(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                assertTrue(head.endsWith("pong"), head);
            }
        }
    }

    private int rawStatus(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return Integer.parseInt(readResponse(s.getInputStream()).substring(9, 12));
        }
    }

    /** Reads one response whose body has a Content-Length. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
