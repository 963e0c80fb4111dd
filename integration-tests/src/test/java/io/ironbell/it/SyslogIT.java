package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The syslog receiver of the real server: util-linux {@code logger} sends RFC 3164 and RFC 5424
 * messages that then show in {@code ironbell logs} (and in {@code --follow}), beside the output
 * a worker posts through the API; strangers and garbage are dropped; a flood is bounded.
 */
class SyslogIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String MAC = "52:54:00:5e:00:01";
    private static final int MAX_LINES = 500;
    private static ServerProcess server;
    private static Path work;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        Shell.require("SyslogIT", List.of("logger"));
        work = Files.createTempDirectory("syslog-it");
        port = FreePort.find();
        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), Map.of("IRONBELL_SYSLOG_ENABLED", "true",
                "IRONBELL_SYSLOG_ADDRESS", "127.0.0.1", "IRONBELL_SYSLOG_PORT", Integer.toString(port),
                "IRONBELL_STORAGE_LOG_MAX_LINES_PER_MACHINE", Integer.toString(MAX_LINES)));
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
        Http.Response r = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware"))).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"node-7\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC
                        + "\",\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true}}]}}")).build());
        assertEquals(201, r.status(), r.body());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        io.ironbell.testing.TempDirs.delete(work);
    }

    /** {@link #cli} for the suppliers of {@link Await#until}. */
    private static Result cliQuietly(String... args) {
        try {
            return cli(args);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Result cli(String... args) throws Exception {
        Sh.Result r = server.cli(Map.of(), args);
        return new Result(r.status(), r.output() + r.errors());
    }

    private static void logger(String format, String tag, String text) throws Exception {
        Result r = Shell.run(List.of("logger", "--server", "127.0.0.1", "--port", Integer.toString(port), "--udp", "--" + format,
                "-t", tag, "-p", "daemon.warning", text));
        assertEquals(0, r.status(), r.output());
    }

    private static long metric(String name) {
        return server.metric(name);
    }

    /** The admin token: this test posts the worker's lines as an operator would, the machine's session is SecurityIT's. */
    private static String token;

    @Test
    void loggerMessagesAndWorkerOutputShowInIronbellLogs() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        logger("rfc3164", "bootscript", "hello in RFC 3164 " + id);
        logger("rfc5424", "image2disk", "hello in RFC 5424 " + id);
        Http.Response posted = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/worker/" + MAC + "/logs")))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"lines\":[{\"text\":\"action output " + id + "\"}]}")).build());
        assertTrue(posted.status() / 100 == 2, posted.status() + " " + posted.body());
        String out = Await.until("the three lines in `ironbell logs node-7`", Duration.ofSeconds(15), () -> {
            Result r = cliQuietly("logs", "node-7");
            return r.output().contains("hello in RFC 3164 " + id) && r.output().contains("hello in RFC 5424 " + id)
                    && r.output().contains("action output " + id) ? r.output() : null;
        }).value();
        assertTrue(out.contains("syslog: bootscript: hello in RFC 3164 " + id), out);
        assertTrue(out.contains("syslog: image2disk: hello in RFC 5424 " + id), out);
        assertTrue(out.contains("worker: action output " + id), out);
        // the same machine by its MAC
        assertTrue(cli("logs", MAC).output().contains("hello in RFC 5424 " + id));
    }

    @Test
    void followPrintsNewLinesAsTheyArrive() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(work.resolve("home/bin/ironbell").toString(), "logs", "node-7", "--follow").redirectErrorStream(true);
        pb.environment().put("IRONBELL_HTTP_PORT", Integer.toString(server.httpPort()));
        pb.environment().put("IRONBELL_HTTP_TLS_PORT", Integer.toString(server.tlsPort()));
        Process follow = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            } catch (Exception ignored) {
                // the process was stopped
            }
        });
        reader.start();
        try {
            String id = UUID.randomUUID().toString().substring(0, 8);
            Await.until("the follower to print a line", Duration.ofSeconds(20), () -> {
                try {
                    logger("rfc5424", "follow", "live " + id);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return lines.stream().anyMatch(l -> l.contains("follow: live " + id)) ? true : null;
            });
        } finally {
            follow.toHandle().destroy();
            if (!follow.waitFor(10, TimeUnit.SECONDS)) {
                follow.destroyForcibly();
            }
            reader.join(10_000);
        }
    }

    @Test
    void strangersAndGarbageAreDroppedAndAFloodIsBounded() throws Exception {
        long malformed = metric("ironbell_syslog_malformed_total");
        long strangers = metric("ironbell_syslog_unknown_sender_total");
        try (DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0));
             DatagramSocket own = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            byte[] fromStranger = "<13>Nov 22 07:40:01 x evil: not mine".getBytes(StandardCharsets.US_ASCII);
            other.send(new DatagramPacket(fromStranger, fromStranger.length, new InetSocketAddress("127.0.0.1", port)));
            Random random = new Random(7);
            for (int i = 0; i < 50; i++) {
                byte[] junk = new byte[1 + random.nextInt(2000)];
                random.nextBytes(junk);
                junk[0] = 'x';
                own.send(new DatagramPacket(junk, junk.length, new InetSocketAddress("127.0.0.1", port)));
            }
            Await.until("the stranger and the junk to be counted", Duration.ofSeconds(10), () ->
                    metric("ironbell_syslog_unknown_sender_total") == strangers + 1 && metric("ironbell_syslog_malformed_total") == malformed + 50 ? true : null);

            // a flood: 200,000 datagrams as fast as one socket sends them
            int flood = 200_000;
            long before = metric("ironbell_syslog_received_total");
            for (int i = 0; i < flood; i++) {
                byte[] b = ("<14>1 - node-7 flood - - - line " + i).getBytes(StandardCharsets.US_ASCII);
                own.send(new DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", port)));
            }
            Await.until("the flood to be taken in", Duration.ofSeconds(60), () -> metric("ironbell_syslog_queued") == 0
                    && metric("ironbell_syslog_received_total") > before ? true : null);
            long received = metric("ironbell_syslog_received_total") - before;
            System.out.printf("syslog flood: %d sent, %d received (the rest lost in the kernel's socket buffer), stored %d, dropped %d%n",
                    flood, received, metric("ironbell_syslog_stored_total"), metric("ironbell_syslog_dropped_total"));
        }
        assertEquals(200, Http.get(server.url("/healthz")).status());
        Result tail = cli("logs", "node-7", "--tail", "1000", "-o", "json");
        int kept = tail.output().split("\"sequence\"").length - 1;
        assertTrue(kept <= MAX_LINES, "the machine's log stays bounded: " + kept + " lines");
        assertTrue(!tail.output().contains("not mine"), "a stranger's line is not kept");
        // and the receiver still works
        String id = UUID.randomUUID().toString().substring(0, 8);
        logger("rfc3164", "after", "still here " + id);
        Await.until("a line after the flood", Duration.ofSeconds(15), () -> cliQuietly("logs", "node-7", "--tail", "5").output().contains("still here " + id) ? true : null);
    }
}
