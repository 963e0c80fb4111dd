package io.ironbell.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        server = server(Map.of());
    }

    private static HttpServer server(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("port", 0);
        config.put("address", "127.0.0.1");
        config.put("maxRequestBytes", 4096);
        config.put("tls", false);
        config.putAll(extra);
        return new HttpServer(Converters.standardConverter().convert(config).to(HttpServer.Config.class), (java.nio.file.Path) null);
    }

    private void restart(Map<String, Object> extra) {
        server.deactivate();
        server = server(extra);
        add(r -> HttpResponse.text(200, "ok " + r.body().length), "/echo", "GET", "POST");
    }

    /** Reads what the server sends until it closes the connection (or 10 s pass). */
    private static String readToClose(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void connectionsOverTheCapsAreClosedOnAccept() throws Exception {
        restart(Map.of("maxConnectionsPerAddress", 3, "maxConnections", 5));
        java.util.List<Socket> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(new Socket("127.0.0.1", server.port()));
            }
            // each connection is counted on its own event loop: wait for them, or the fourth may be counted first
            awaitConnections(3);
            try (Socket fourth = new Socket("127.0.0.1", server.port())) {
                assertEquals("", readToClose(fourth), "closed at once, nothing said");
            }
            // another address still gets in, up to the total
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket();
                s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
                s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
                open.add(s);
                s.getOutputStream().write("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            awaitConnections(5);
            try (Socket sixth = new Socket()) {
                sixth.bind(new java.net.InetSocketAddress("127.0.0.3", 0));
                sixth.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
                assertEquals("", readToClose(sixth), "over the total");
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
        io.ironbell.testing.Await.until("the connections to be counted out", java.time.Duration.ofSeconds(5),
                () -> server.connectionsOpen() == 0 ? true : null);
        assertEquals(200, get("/echo").statusCode(), "closed connections free their places");
    }

    private void awaitConnections(int n) {
        io.ironbell.testing.Await.until(n + " connections counted", java.time.Duration.ofSeconds(5),
                () -> server.connectionsOpen() == n ? true : null);
    }

    @Test
    void aRequestThatTricklesInIsEndedWith408() throws Exception {
        restart(Map.of("requestTimeoutSeconds", 1));
        for (String start : new String[] {"GET /echo HTTP/1.1\r\nHost: x\r\n", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123"}) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
                long t0 = System.nanoTime();
                // one more byte every 200 ms: each would reset an idle timer
                Thread trickle = new Thread(() -> {
                    try {
                        for (int i = 0; i < 30; i++) {
                            Thread.sleep(200);
                            s.getOutputStream().write('X');
                        }
                    } catch (Exception closed) {
                        // the server hung up, as it should
                    }
                });
                trickle.start();
                String answer = readToClose(s);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                trickle.join(10_000);
                assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
                assertTrue(answer.contains("did not arrive whole within 1 s"), answer);
                assertTrue(ms >= 900 && ms < 5_000, "ended at the deadline: " + ms + " ms");
            }
        }
        assertEquals(200, get("/echo").statusCode(), "a whole request is answered");
    }

    @Test
    void bodiesBeyondTheBudgetAre503UntilItIsGivenBack() throws Exception {
        restart(Map.of("maxBufferedRequestBytes", 8192));
        String head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n";
        try (Socket a = new Socket("127.0.0.1", server.port()); Socket b = new Socket("127.0.0.1", server.port())) {
            a.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            b.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            io.ironbell.testing.Await.until("both bodies reserved", java.time.Duration.ofSeconds(5),
                    () -> server.requestBytesHeld() == 8192 ? true : null);
            try (Socket c = new Socket("127.0.0.1", server.port())) {
                c.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                String answer = readToClose(c);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("too many request bodies"), answer);
            }
            a.getOutputStream().write(new byte[4096]);
            a.setSoTimeout(10_000);
            byte[] buf = new byte[256];
            int n = a.getInputStream().read(buf);
            assertTrue(new String(buf, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"), "a whole body is answered");
        }
        io.ironbell.testing.Await.until("the budget given back", java.time.Duration.ofSeconds(5),
                () -> server.requestBytesHeld() == 0 ? true : null);
        var ok = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4000])).build(), BodyHandlers.ofString());
        assertEquals("ok 4000", ok.body());
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
    void anUnexpectedFailureAnswersAnIdThatTheLogLineCarriesNotTheExceptionText() throws Exception {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RequestHandler.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            add(r -> {
                throw new IllegalStateException("cannot open /var/lib/ironbell/secret.key as postgres:hunter2");
            }, "/broken");
            add(r -> {
                throw new HttpException(500, "backup_failed", "the backup directory is full");
            }, "/own-500");
            var res = get("/broken");
            assertEquals(500, res.statusCode());
            assertEquals("application/json", res.headers().firstValue("content-type").orElseThrow());
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("\\{\"code\":\"internal_error\",\"message\":\"internal error ([0-9a-f]{8}); see the server log\"}")
                    .matcher(res.body());
            assertTrue(m.matches(), res.body());
            String id = m.group(1);
            var line = io.ironbell.testing.Await.until("the log line", java.time.Duration.ofSeconds(5), () -> {
                synchronized (lines) {
                    return lines.list.stream().filter(e -> e.getFormattedMessage().contains(id)).findFirst().orElse(null);
                }
            }).value();
            assertEquals("internal error " + id + ": route /broken failed on GET /broken", line.getFormattedMessage());
            assertEquals("cannot open /var/lib/ironbell/secret.key as postgres:hunter2", line.getThrowableProxy().getMessage(),
                    "the log has what the caller does not");
            assertTrue(!get("/broken").body().contains(id), "each failure its own id");
            // a route's own errors keep their words, 500 or not
            assertEquals("{\"code\":\"backup_failed\",\"message\":\"the backup directory is full\"}", get("/own-500").body());
        } finally {
            log.detachAppender(lines);
        }
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

    /** A file served with bytes of its own at some offsets: every range of it, and curl (an independent client) reading it whole. */
    @Test
    void filesWithAnOverlayServeItsBytesInEveryRange(@TempDir Path dir) throws Exception {
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        Path f = Files.write(dir.resolve("boot.iso"), data);
        byte[] a = "PATCH-A-0123456789".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "PATCH-B".getBytes(StandardCharsets.US_ASCII);
        add(r -> HttpResponse.file(f, "application/octet-stream", java.util.Map.of(5_000L, a, 150_000L, b)), "/boot.iso");
        byte[] expected = data.clone();
        System.arraycopy(a, 0, expected, 5_000, a.length);
        System.arraycopy(b, 0, expected, 150_000, b.length);
        var whole = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/boot.iso")).build(),
                BodyHandlers.ofByteArray());
        assertTrue(java.util.Arrays.equals(expected, whole.body()), "the whole file with both patches");
        for (long[] range : new long[][] {{0, 4_999}, {5_003, 5_010}, {4_990, 5_030}, {5_017, 149_999}, {149_999, 150_003}, {100, 199_999},
                {150_006, 150_006}}) {
            var part = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/boot.iso"))
                    .header("Range", "bytes=" + range[0] + "-" + range[1]).build(), BodyHandlers.ofByteArray());
            assertEquals(206, part.statusCode());
            assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(expected, (int) range[0], (int) range[1] + 1), part.body()),
                    "range " + range[0] + "-" + range[1]);
        }
        Path got = dir.resolve("got.iso");
        Process curl = new ProcessBuilder("curl", "-sf", "-o", got.toString(), "http://127.0.0.1:" + server.port() + "/boot.iso").start();
        assertEquals(0, curl.waitFor());
        assertTrue(java.util.Arrays.equals(expected, Files.readAllBytes(got)), "curl read the patched file");
        assertThrows(IllegalArgumentException.class, () -> HttpResponse.file(f, "x", java.util.Map.of(0L, a, 3L, b)), "overlapping patches");
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
