package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
import io.ironbell.testing.S3ProxyProcess;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time recovery for real: a server on its embedded PostgreSQL archiving continuously to
 * S3 (S3Proxy, a real S3 implementation), a workflow history made through the API and the worker
 * API, then a bad {@code DELETE} (every workflow and every machine, as an operator's psql
 * without its WHERE) and a write after it. The server stopped, {@code ironbell restore --to} the
 * moment before the DELETE, started again: every record, workflow state and event is back, the
 * write after the mistake is not, and the archive goes on on the new timeline.
 */
class PitrIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final int MACHINES = 12;
    private static Path work;
    private static S3ProxyProcess s3;
    private static ServerProcess server;
    private static Map<String, String> env;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("pitr-it");
        s3 = S3ProxyProcess.start(S3ProxyProcess.jarFromBuild(), work.resolve("s3"));
        env = Map.of("IRONBELL_ARCHIVE_TARGET", "s3://pitr-it/fleet", "IRONBELL_ARCHIVE_S3_ENDPOINT", s3.endpoint(),
                "IRONBELL_ARCHIVE_S3_ACCESS_KEY", S3ProxyProcess.ACCESS_KEY, "IRONBELL_ARCHIVE_S3_SECRET_KEY", S3ProxyProcess.SECRET_KEY,
                "IRONBELL_ARCHIVE_TIMEOUT_SECONDS", "5", "IRONBELL_STORAGE_EMBEDDED_PORT", Integer.toString(FreePort.find()));
        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), env);
        server.awaitHealthy(Duration.ofSeconds(120));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (s3 != null) {
            s3.close();
        }
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static Http.Response call(String method, String path, String body) {
        return Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static JsonNode json(Http.Response r) throws Exception {
        assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.body());
        return Json.mapper().readTree(r.body());
    }

    private static String mac(int i) {
        return String.format("52:54:00:d1:00:%02x", i);
    }

    /** Every workflow with its state and its events (type and action), and every machine: what a restore must bring back. */
    private static Map<String, String> history() throws Exception {
        Map<String, String> h = new TreeMap<>();
        for (JsonNode hw : json(call("GET", "/hardware?limit=1000", null)).get("items")) {
            h.put("hardware " + hw.get("id").asText(), hw.toString());
        }
        for (JsonNode wf : json(call("GET", "/workflows?limit=1000", null)).get("items")) {
            String id = wf.get("id").asText();
            List<String> events = new ArrayList<>();
            for (JsonNode e : json(call("GET", "/workflows/" + id + "/events?limit=1000", null)).get("items")) {
                events.add(e.toString());
            }
            h.put("workflow " + id, wf.path("state").asText() + " " + events);
        }
        return h;
    }

    /** The objects S3Proxy holds under the archive's prefix, read from its own files. */
    private static List<Path> archived(String prefix) {
        Path dir = s3.objects().resolve("pitr-it/fleet/" + prefix);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aBadDeleteIsUndoneByARestoreToTheMomentBeforeIt() throws Exception {
        // the first base backup comes at once, complete when its marker is there (S3Proxy's own files)
        Await.until("a base backup in S3", Duration.ofSeconds(90), () -> archived("base").stream()
                .anyMatch(p -> p.getFileName().toString().equals("backup.properties")) ? true : null);
        Instant firstBackup = Instant.now();

        String template = """
                version: "0.1"
                name: two-steps
                global_timeout: 600
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - {name: one, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 60}
                      - {name: two, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 60}
                """;
        assertEquals(201, call("POST", "/templates?name=two-steps", template).status());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < MACHINES; i++) {
            assertEquals(201, call("POST", "/hardware", "{\"id\":\"pitr-" + i + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                    + mac(i) + "\",\"ip\":{\"address\":\"10.241.0." + (i + 10) + "\",\"netmask\":\"255.255.255.0\"}},"
                    + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
            ids.add(json(call("POST", "/workflows", "{\"template\":\"two-steps\",\"hardware\":{\"device_1\":\"" + mac(i) + "\"}}"))
                    .get("id").asText());
        }
        // a history: half the workflows run to the end (both actions), a few one action, the rest wait
        for (int i = 0; i < MACHINES; i++) {
            int actions = i < MACHINES / 2 ? 2 : i < MACHINES - 3 ? 1 : 0;
            for (int a = 0; a < actions; a++) {
                JsonNode next = json(call("GET", "/worker/" + mac(i) + "/next", null));
                assertEquals(a, next.get("actionIndex").asInt());
                assertEquals(200, call("POST", "/worker/" + mac(i) + "/report", "{\"workflowId\":\"" + ids.get(i) + "\",\"actionIndex\":"
                        + a + ",\"state\":\"SUCCESS\"}").status());
            }
        }
        Map<String, String> before = history();
        assertEquals(2 * MACHINES, before.size(), before.keySet().toString());
        assertTrue(before.values().stream().filter(v -> v.startsWith("SUCCESS")).count() == MACHINES / 2, before.toString());

        Thread.sleep(1500);
        Instant beforeTheMistake = Instant.now();
        Thread.sleep(1500);
        // the mistake: psql without a WHERE, as the database's owner
        Properties auth = new Properties();
        try (var in = Files.newInputStream(server.home().resolve("data/postgres-auth.properties"))) {
            auth.load(in);
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + env.get("IRONBELL_STORAGE_EMBEDDED_PORT") + "/ironbell",
                "ironbell", auth.getProperty("ironbell")); Statement s = c.createStatement()) {
            assertEquals(MACHINES, s.executeUpdate("DELETE FROM workflow"));
            s.executeUpdate("DELETE FROM hardware");
        }
        assertEquals(0, json(call("GET", "/workflows", null)).get("items").size());
        assertEquals(201, call("POST", "/hardware", "{\"id\":\"after-the-mistake\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":"
                + "\"52:54:00:d1:01:01\"}}]}}").status());
        server.terminate(Duration.ofSeconds(60));
        Path data = server.home().resolve("data");

        // a moment no base backup reaches: refused, nothing touched
        Sh.Result tooEarly = server.cli(env, "restore", "--to", firstBackup.minus(Duration.ofHours(1)).toString());
        assertNotEquals(0, tooEarly.status(), tooEarly.output());
        assertTrue(tooEarly.errors().contains("no base backup ended before"), tooEarly.errors());
        try (var left = Files.list(data)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("postgres.before-restore")), "nothing set aside");
        }
        Sh.Result list = server.cli(env, "restore", "--list");
        assertEquals(0, list.status(), list.output() + list.errors());
        assertTrue(list.output().contains("base backup ") && list.output().contains("WAL: "), list.output());

        long t0 = System.nanoTime();
        Sh.Result restored = server.cli(env, "restore", "--to", beforeTheMistake.toString());
        long restoreMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, restored.status(), restored.output() + restored.errors());
        assertTrue(restored.output().contains("restored to " + beforeTheMistake), restored.output());
        try (var left = Files.list(data)) {
            assertEquals(1, left.filter(p -> p.getFileName().toString().startsWith("postgres.before-restore")).count(),
                    "the data directory from before is kept");
        }
        assertFalse(Files.exists(data.resolve("postgres/recovery.signal")), "recovered, promoted");

        server = ServerProcess.startIn(server.home(), env);
        server.awaitHealthy(Duration.ofSeconds(120));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        Map<String, String> after = history();
        assertEquals(before, after, "every machine, workflow state and event as they were before the DELETE");
        assertEquals(404, call("GET", "/hardware/after-the-mistake", null).status(), "the write after the target is not replayed");
        // the restored database goes on: new work, archived on its new timeline
        JsonNode next = json(call("GET", "/worker/" + mac(MACHINES - 1) + "/next", null));
        assertEquals(0, next.get("actionIndex").asInt());
        Await.until("timeline 2's history in S3", Duration.ofSeconds(60), () -> archived("wal").stream()
                .anyMatch(p -> p.getFileName().toString().equals("00000002.history.gz")) ? true : null);
        System.out.printf("PitrIT: %d records and workflows back; restore took %d ms%n", after.size(), restoreMillis);
    }
}
