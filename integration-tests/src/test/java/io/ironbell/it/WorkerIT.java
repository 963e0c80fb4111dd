package io.ironbell.it;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.FileServer;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real worker ({@code bin/ironbell worker}, its own Felix container) against the real
 * server: actions run in order on the native plugins and report each; an image nobody runs fails
 * clearly; a vendor's plugin dropped into worker/deploy runs the next action without a restart;
 * a server outage during an action loses no report; a worker killed during an action does not
 * run it again; timeouts and an operator's cancel stop the action.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final Path HELLO_JAR = Path.of(System.getProperty("ironbell.exampleActionJar"));
    private static final String MAC = "52:54:00:00:7f:21";
    /** The worker runs on this machine, so its hardware's address is the loopback address. */
    private static final String HARDWARE = "{\"id\":\"worker-it\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC + "\","
            + "\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}";

    @TempDir
    static Path tmp;
    private static ServerProcess server;
    private static ServerProcess worker;
    private static String token;
    private static Path home;
    private static HttpServer images;
    private static byte[] image;
    private static int templates;

    @BeforeAll
    static void start() throws Exception {
        home = tmp.resolve("home");
        server = ServerProcess.start(DISTRIBUTION, home, Map.of());
        awaitReady();
        token = Files.readString(home.resolve("data/api-token")).trim();
        assertEquals(201, api("POST", "/hardware", HARDWARE).status());

        // an image, compressed by the real zstd, served over HTTP
        image = new byte[6 << 20];
        new Random(7).nextBytes(image);
        Arrays.fillHalf(image);
        Files.write(tmp.resolve("image.raw"), image);
        sh("zstd -q -f " + tmp.resolve("image.raw") + " -o " + tmp.resolve("image.raw.zst"));
        images = FileServer.serve(tmp);
        worker = startWorker();
        awaitWorkerSays("takes its actions from", Duration.ofSeconds(60));
    }

    /**
     * The worker as an operator runs one on a laptop: HTTPS, verifying the server's own CA, with an
     * admin token from a file (a booted machine shows its session instead: EndToEndIT, SecurityIT).
     */
    private static ServerProcess startWorker() throws Exception {
        Path tokenFile = tmp.resolve("worker-token");
        if (!Files.exists(tokenFile)) {
            Files.writeString(tokenFile, token + "\n");
        }
        return ServerProcess.startWorker(home, server.secureUrl(""), MAC, Map.of(), "--ca", server.caFile().toString(), "--token-file",
                tokenFile.toString(), "-Dworker.pollMillis=200", "-Dworker.maxBackoffMillis=1000");
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (server != null) {
            server.close();
        }
        if (images != null) {
            images.stop(0);
        }
    }

    @Test
    @Order(1)
    void runsEveryActionOnItsPluginAndReportsEach() throws Exception {
        Path disk = tmp.resolve("disk.img");
        Files.write(disk, new byte[8 << 20]);
        Path fs = tmp.resolve("fs.img");
        sh("truncate -s 16M " + fs + " && mkfs.ext4 -q -F " + fs);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tmp.resolve("image.raw.zst"))));
        String id = workflow("""
                  - name: stream
                    image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                    timeout: 120
                    environment: {IMG_URL: "%s", DEST_DISK: "%s", COMPRESSED: "true", IMG_CHECKSUM: "sha256:%s"}
                  - name: hostname
                    image: quay.io/tinkerbell-actions/writefile:v1.0.0
                    timeout: 60
                    environment: {DEST_DISK: "%s", FS_TYPE: ext4, DEST_PATH: /etc/hostname, CONTENTS: "node-21", MODE: "0644", UID: "0", GID: "0"}
                """.formatted(imageUrl("image.raw.zst"), disk, sha, fs));
        JsonNode w = awaitEnd(id, Duration.ofSeconds(90));
        assertEquals("SUCCESS", w.get("state").asText(), w.toPrettyString());
        for (JsonNode a : w.get("actions")) {
            assertEquals("SUCCESS", a.get("state").asText());
            assertEquals(1, a.get("attempts").asInt(), "each action ran once");
        }
        assertTrue(w.get("actions").get(0).get("message").asText().contains("sha256 verified"), w.toPrettyString());
        assertArrayEquals(image, Arrays.prefix(Files.readAllBytes(disk), image.length), "the disk holds the image");
        assertEquals("node-21", sh("debugfs -R 'cat /etc/hostname' " + fs + " 2>/dev/null").trim());
        List<String> events = events(id);
        assertTrue(events.stream().anyMatch(e -> e.startsWith("stream RUNNING running on image2disk (io.ironbell.action.image2disk")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("hostname SUCCESS wrote 7 bytes to /etc/hostname")), events.toString());
        List<String> log = Await.until("the actions' lines in the machine's log", Duration.ofSeconds(10), () -> {
            List<String> l = machineLog();
            return l.stream().anyMatch(s -> s.contains("hostname SUCCESS")) ? l : null;
        }).value();
        assertTrue(log.stream().anyMatch(s -> s.startsWith("stream: wrote 6,291,456 bytes")), log.toString());
    }

    @Test
    @Order(2)
    void anImageNoPluginRunsFailsWithTheReason() throws Exception {
        JsonNode w = awaitEnd(workflow("""
                  - name: foreign
                    image: docker.io/library/alpine:3.20
                    timeout: 60
                """), Duration.ofSeconds(60));
        assertEquals("FAILED", w.get("state").asText());
        String message = w.get("actions").get(0).get("message").asText();
        // the container plugin took it (it resolved and started in the worker's Felix), and found no engine here
        assertTrue(message.startsWith("no Docker-compatible engine at unix:///var/run/docker.sock")
                && message.contains("image docker.io/library/alpine:3.20 has no native plugin"), message);
    }

    @Test
    @Order(3)
    void aVendorPluginDroppedIntoDeployRunsTheNextActionWithoutARestart() throws Exception {
        String hello = """
                  - name: greet
                    image: ghcr.io/acme/hello:1.0
                    timeout: 60
                    environment: {NAME: "rack 7"}
                """;
        JsonNode before = awaitEnd(workflow(hello), Duration.ofSeconds(60));
        assertEquals("FAILED", before.get("state").asText(), "no plugin for ghcr.io/acme/hello yet");
        long pid = worker.process().pid();

        Path deploy = home.resolve("worker/deploy");
        Path part = deploy.resolve(".hello.jar.part");
        Files.copy(HELLO_JAR, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, deploy.resolve("hello.jar"), StandardCopyOption.ATOMIC_MOVE);
        awaitWorkerSays("action plugin hello from com.example.ironbell.hello", Duration.ofSeconds(30));

        JsonNode after = awaitEnd(workflow(hello), Duration.ofSeconds(60));
        assertEquals("SUCCESS", after.get("state").asText(), after.toPrettyString());
        assertEquals("greeted rack 7 and worked 0 s", after.get("actions").get(0).get("message").asText());
        assertEquals(pid, worker.process().pid());
        assertTrue(worker.process().isAlive(), "the worker was not restarted");
    }

    @Test
    @Order(4)
    void aServerOutageDuringAnActionLosesNoReport() throws Exception {
        String id = workflow("""
                  - name: long
                    image: ghcr.io/acme/hello:1.0
                    timeout: 120
                    environment: {NAME: outage, SECONDS: "8"}
                """);
        awaitEvent(id, "long RUNNING running on hello", Duration.ofSeconds(30));
        int port = server.httpPort();
        int tlsPort = server.tlsPort();
        server.terminate(Duration.ofSeconds(30));
        awaitWorkerSays("report SUCCESS of workflow " + id + " waits for the server", Duration.ofSeconds(30));
        assertEquals(1, pendingReports(), "the report waits in the journal");

        server = ServerProcess.startIn(home, Map.of("IRONBELL_HTTP_PORT", Integer.toString(port), "IRONBELL_HTTP_TLS_PORT",
                Integer.toString(tlsPort)));
        awaitReady();
        JsonNode w = awaitEnd(id, Duration.ofSeconds(60));
        assertEquals("SUCCESS", w.get("state").asText(), w.toPrettyString());
        assertEquals(1, w.get("actions").get(0).get("attempts").asInt(), "run once");
        assertEquals("greeted outage and worked 8 s", w.get("actions").get(0).get("message").asText());
        Await.until("the journal emptied", Duration.ofSeconds(10), () -> pendingReports() == 0 ? true : null);
    }

    @Test
    @Order(5)
    void aWorkerKilledDuringAnActionReportsItInterruptedAndDoesNotRunItTwice() throws Exception {
        String id = workflow("""
                  - name: interrupted
                    image: ghcr.io/acme/hello:1.0
                    timeout: 120
                    retries: 1
                    environment: {NAME: crash, SECONDS: "4"}
                """);
        awaitEvent(id, "interrupted RUNNING running on hello", Duration.ofSeconds(30));
        worker.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        worker = startWorker();

        JsonNode w = awaitEnd(id, Duration.ofSeconds(90));
        assertEquals("SUCCESS", w.get("state").asText(), w.toPrettyString());
        assertEquals(2, w.get("actions").get(0).get("attempts").asInt(), "attempt 1 was reported interrupted, attempt 2 ran");
        List<String> events = events(id);
        assertTrue(events.stream().anyMatch(e -> e.startsWith("interrupted FAILED interrupted: the worker stopped while the action ran")
                && e.contains("retry 1 of 1")), events.toString());
        assertEquals(2, events.stream().filter(e -> e.startsWith("interrupted RUNNING running on hello")).count(),
                "the plugin started once per attempt, never twice for one: " + events);
    }

    @Test
    @Order(6)
    void anActionPastItsTimeoutIsStoppedAndTheWorkerMovesOn() throws Exception {
        String id = workflow("""
                  - name: slow
                    image: ghcr.io/acme/hello:1.0
                    timeout: 3
                    environment: {NAME: slow, SECONDS: "120"}
                """);
        JsonNode w = awaitEnd(id, Duration.ofSeconds(30));
        assertEquals("TIMEOUT", w.get("state").asText(), w.toPrettyString());
        JsonNode next = awaitEnd(workflow("""
                  - name: quick
                    image: ghcr.io/acme/hello:1.0
                    timeout: 30
                    environment: {NAME: quick}
                """), Duration.ofSeconds(30));
        assertEquals("SUCCESS", next.get("state").asText(), "the worker is free again: " + next.toPrettyString());
    }

    @Test
    @Order(7)
    void anOperatorsCancelStopsTheRunningAction() throws Exception {
        String id = workflow("""
                  - name: cancelled
                    image: ghcr.io/acme/hello:1.0
                    timeout: 300
                    environment: {NAME: cancel, SECONDS: "300"}
                """);
        awaitEvent(id, "cancelled RUNNING running on hello", Duration.ofSeconds(30));
        assertEquals(200, api("POST", "/workflows/" + id + "/cancel", "").status());
        Duration took = awaitWorkerSays("stopped cancelled: its workflow ended CANCELLED", Duration.ofSeconds(20));
        assertTrue(took.toSeconds() < 20, "stopped within " + took);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void awaitReady() {
        server.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
    }

    private static String imageUrl(String name) {
        return "http://127.0.0.1:" + images.getAddress().getPort() + "/" + name;
    }

    /** Creates a one-task template of these actions for the worker, and a workflow from it. */
    private static String workflow(String actions) throws IOException {
        String name = "worker-it-" + (++templates);
        String yaml = "version: \"0.1\"\nname: " + name + "\nglobal_timeout: 600\ntasks:\n  - name: t\n    worker: \"{{.device_1}}\"\n    actions:\n"
                + actions.stripTrailing().lines().map(l -> "  " + l).reduce((a, b) -> a + "\n" + b).orElseThrow() + "\n";
        Http.Response t = api("POST", "/templates?name=" + name, yaml);
        assertEquals(201, t.status(), t.body());
        Http.Response w = api("POST", "/workflows", "{\"template\":\"" + name + "\",\"hardware\":{\"device_1\":\"" + MAC + "\"}}");
        assertEquals(201, w.status(), w.body());
        return Json.mapper().readTree(w.body()).get("id").asText();
    }

    private static JsonNode awaitEnd(String id, Duration timeout) {
        return Await.until("workflow " + id + " ends", timeout, () -> {
            JsonNode w = json(api("GET", "/workflows/" + id, null));
            String s = w.get("state").asText();
            return s.equals("PENDING") || s.equals("RUNNING") ? null : w;
        }).value();
    }

    /** Events as "ACTION STATE MESSAGE" ("(workflow)" for the workflow's own). */
    private static List<String> events(String id) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : json(api("GET", "/workflows/" + id + "/events?limit=1000", null)).get("items")) {
            out.add((e.hasNonNull("action") ? e.get("action").asText() : "(workflow)") + " " + e.get("state").asText() + " "
                    + e.path("message").asText(""));
        }
        return out;
    }

    private static void awaitEvent(String id, String prefix, Duration timeout) {
        Await.until("event '" + prefix + "' of " + id, timeout, () -> events(id).stream().anyMatch(e -> e.startsWith(prefix)) ? true : null);
    }

    private static List<String> machineLog() {
        List<String> out = new ArrayList<>();
        for (JsonNode l : json(api("GET", "/machines/worker-it/logs?tail=1000", null)).get("lines")) {
            out.add(l.get("source").asText() + ": " + l.get("text").asText());
        }
        return out;
    }

    private static Duration awaitWorkerSays(String text, Duration timeout) {
        return Await.until("the worker prints '" + text + "'", timeout, () -> {
            if (!worker.process().isAlive()) {
                throw new AssertionError("the worker exited with " + worker.process().exitValue());
            }
            return worker.output().stream().anyMatch(l -> l.contains(text)) ? true : null;
        }).elapsed();
    }

    private static long pendingReports() {
        try (Stream<Path> s = Files.list(home.resolve("worker/data/worker/pending"))) {
            return s.filter(p -> p.toString().endsWith(".json")).count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Http.Response api(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return Http.send(b.build());
    }

    private static JsonNode json(Http.Response r) {
        assertEquals(200, r.status(), r.body());
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Small byte-array helpers. */
    private static final class Arrays {
        /** Zeroes every other 64 KiB, so the image compresses as a real disk does. */
        static void fillHalf(byte[] b) {
            for (int i = 0; i < b.length; i += 128 << 10) {
                java.util.Arrays.fill(b, i, Math.min(b.length, i + (64 << 10)), (byte) 0);
            }
        }

        static byte[] prefix(byte[] b, int n) {
            return java.util.Arrays.copyOf(b, n);
        }
    }
}
