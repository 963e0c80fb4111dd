package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane as operators and workers use it: the REST API over real HTTP against the
 * real server (embedded PostgreSQL), bad input refused with the database unchanged, the worker
 * side with its source-address check, the live event stream, and the real CLI.
 */
class ControlPlaneIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static ServerProcess server;
    private static String token;
    private static Path home;

    /** Hardware whose address is the loopback address, so that this test may act as its worker. */
    static final String LOCAL = "{\"id\":\"local\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:7f:01\","
            + "\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}";
    static final String OTHER = "{\"id\":\"other\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:7f:02\","
            + "\"ip\":{\"address\":\"10.99.0.2\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}";
    static final String TEMPLATE = """
            version: "0.1"
            name: install
            global_timeout: 600
            tasks:
              - name: os
                worker: "{{.device_1}}"
                actions:
                  - name: stream
                    image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                    timeout: 300
                    environment: {IMG_URL: "http://example/os.raw.gz"}
                  - name: kexec
                    image: quay.io/tinkerbell-actions/kexec:v1.0.0
                    timeout: 60
            """;

    @BeforeAll
    static void start(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        home = tmp.resolve("home");
        server = ServerProcess.start(DISTRIBUTION, home, Map.of());
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
        assertEquals(201, call("POST", "/hardware", LOCAL, true).status());
        assertEquals(201, call("POST", "/hardware", OTHER, true).status());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /** The machine's session, once it has one: what calls that are not the admin's show. */
    static String machine;

    static Http.Response call(String method, String path, String body, boolean admin) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (admin) {
            b.header("Authorization", "Bearer " + token);
        } else if (machine != null && path.startsWith("/worker/")) {
            b.header("Authorization", "Bearer " + machine);
        }
        return Http.send(b.build());
    }

    static JsonNode json(Http.Response r) throws Exception {
        return Json.mapper().readTree(r.body());
    }

    private static int hardwareCount() throws Exception {
        return json(call("GET", "/hardware?limit=1000", null, true)).get("items").size();
    }

    @Test
    void badInputGetsAClearErrorAndChangesNothing() throws Exception {
        int before = hardwareCount();
        record Case(String method, String path, String body, boolean admin, int status, String says) {
        }
        List<Case> cases = List.of(
                new Case("GET", "/hardware", null, false, 401, "Authorization: Bearer"),
                new Case("POST", "/hardware", LOCAL.replace("local", "dup"), true, 409, "MAC address 52:54:00:00:7f:01 is already registered to hardware local"),
                new Case("POST", "/hardware", "{\"id\":\"x\",\"network\":", true, 400, "malformed JSON at line 1"),
                new Case("POST", "/hardware", "{\"id\":\"x\",\"network\":{\"interfaces\":\"eth0\"}}", true, 400, "field network.interfaces: must be a list"),
                new Case("POST", "/hardware", "{\"id\":\"x\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"zz\"}}]}}", true, 422, "network.interfaces[0].dhcp.mac"),
                new Case("POST", "/hardware", "{\"pad\":\"" + "x".repeat(2_000_000) + "\"}", true, 413, "request body exceeds"),
                new Case("GET", "/hardware/nope", null, true, 404, "no hardware with id, MAC or IP nope"),
                new Case("DELETE", "/workflows/nope", null, true, 404, "no workflow nope"),
                new Case("POST", "/templates", "version: \"0.1\"\nname: t\ntasks:\n- name: a\n  worker: w\n  actions: [{name: s}]\n", true, 422,
                        "line 6: tasks[0].actions[0].image: is required"),
                new Case("POST", "/templates", "version: \"0.1\"\nname: t\ntasks:\n- name: a\n  worker: \"{{ if .x }}\"\n", true, 422, "line 5"),
                new Case("POST", "/workflows", "{\"template\":\"nope\",\"hardware\":{\"device_1\":\"local\"}}", true, 404, "no template nope"),
                new Case("POST", "/workflows", "{\"template\":\"x\"}", true, 400, "field hardware is required"),
                new Case("GET", "/hardware?limit=0", null, true, 400, "limit must be between 1 and 1000"),
                new Case("PUT", "/hardware", "{}", true, 405, "not allowed"));
        for (Case c : cases) {
            Http.Response r = call(c.method(), c.path(), c.body(), c.admin());
            assertEquals(c.status(), r.status(), c.method() + " " + c.path() + ": " + r.body());
            JsonNode err = json(r);
            assertTrue(err.has("code") && err.get("message").asText().contains(c.says()), c.path() + ": " + r.body());
        }
        assertEquals(before, hardwareCount(), "refused requests changed nothing");
        assertEquals(404, call("GET", "/hardware/dup", null, true).status());
        assertEquals(404, call("GET", "/templates/t", null, true).status(), "refused templates were not stored");
    }

    @Test
    void aWorkflowRunsThroughTheWorkerEndpointsAndStreamsItsEvents() throws Exception {
        call("POST", "/templates?name=install", TEMPLATE, true);
        JsonNode w = json(call("POST", "/workflows", "{\"template\":\"install\",\"hardware\":{\"device_1\":\"52:54:00:00:7f:01\"}}", true));
        String id = w.get("id").asText();
        // the live stream, opened before the work starts
        CompletableFuture<List<String>> streamed = CompletableFuture.supplyAsync(() -> {
            List<String> seen = new ArrayList<>();
            try {
                HttpResponse<Stream<String>> r = io.ironbell.testing.Http.client().send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/workflows/" + id + "/events/stream")))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofLines());
                r.body().filter(l -> l.startsWith("data: ")).forEach(l -> {
                    try {
                        JsonNode e = Json.mapper().readTree(l.substring(6));
                        seen.add((e.hasNonNull("action") ? e.get("action").asText() : "workflow") + " " + e.get("state").asText());
                    } catch (Exception ex) {
                        seen.add("unreadable " + l);
                    }
                });
            } catch (Exception e) {
                seen.add("failed " + e);
            }
            return seen;
        });
        Thread.sleep(300);
        // the machine (its address is 127.0.0.1) shows the session its boot token gave; without it, nothing
        assertEquals(401, call("GET", "/worker/52:54:00:00:7f:01/next", null, false).status());
        machine = server.machineSession("52:54:00:00:7f:01");
        // another machine may not ask for this one's work
        assertEquals(403, call("GET", "/worker/52:54:00:00:7f:02/next", null, false).status());
        Http.Response next = call("GET", "/worker/52:54:00:00:7f:01/next", null, false);
        assertEquals(200, next.status(), next.body());
        JsonNode action = json(next);
        assertEquals("stream", action.get("name").asText());
        assertEquals(204, call("POST", "/worker/52:54:00:00:7f:01/logs",
                "{\"lines\":[{\"text\":\"writing image\"},{\"text\":\"done\",\"source\":\"stream\"}]}", false).status());
        assertEquals(200, call("POST", "/worker/52:54:00:00:7f:01/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":0,\"state\":\"RUNNING\",\"progress\":{\"done\":5,\"total\":10,\"rate\":1}}", false).status());
        assertEquals(200, call("PUT", "/worker/52:54:00:00:7f:01/workflows/" + id + "/data", "{\"rootfs\":\"/dev/sda2\"}", false).status());
        assertEquals(200, call("POST", "/worker/52:54:00:00:7f:01/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":0,\"state\":\"SUCCESS\",\"message\":\"wrote 10 bytes\"}", false).status());
        JsonNode kexec = json(call("GET", "/worker/52:54:00:00:7f:01/next", null, false));
        assertEquals("kexec", kexec.get("name").asText());
        Http.Response wrong = call("POST", "/worker/52:54:00:00:7f:01/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":0,\"state\":\"FAILED\"}", false);
        assertEquals(409, wrong.status(), wrong.body());
        Http.Response bad = call("POST", "/worker/52:54:00:00:7f:01/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":1,\"state\":\"EXPLODED\"}", false);
        assertEquals(400, bad.status(), bad.body());
        assertEquals(200, call("POST", "/worker/52:54:00:00:7f:01/report", "{\"workflowId\":\"" + id
                + "\",\"actionIndex\":1,\"state\":\"SUCCESS\",\"message\":\"kexec next\"}", false).status());
        assertEquals(204, call("GET", "/worker/52:54:00:00:7f:01/next", null, false).status());

        List<String> seen = streamed.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(List.of("workflow PENDING", "stream RUNNING", "stream SUCCESS", "kexec RUNNING", "kexec SUCCESS", "workflow SUCCESS"), seen);
        JsonNode done = json(call("GET", "/workflows/" + id, null, true));
        assertEquals("SUCCESS", done.get("state").asText());
        assertEquals("/dev/sda2", json(call("GET", "/workflows/" + id + "/data", null, true)).get("rootfs").asText());
        JsonNode logs = json(call("GET", "/machines/local/logs", null, true));
        assertEquals(List.of("writing image", "done"), logs.get("lines").findValuesAsText("text"));

        // a long poll: with nothing due the request is held and answered 204 after its wait; a workflow
        // created meanwhile is answered the moment it is (the change reaches the engine through NOTIFY)
        Http.Response tooLong = call("GET", "/worker/52:54:00:00:7f:01/next?wait=31", null, false);
        assertEquals(400, tooLong.status(), tooLong.body());
        assertTrue(tooLong.body().contains("wait must be 0 to 30"), tooLong.body());
        long t0 = System.nanoTime();
        assertEquals(204, call("GET", "/worker/52:54:00:00:7f:01/next?wait=1", null, false).status());
        long heldMillis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(heldMillis >= 950 && heldMillis < 5_000, "held " + heldMillis + " ms");
        CompletableFuture<Http.Response> held = CompletableFuture.supplyAsync(() -> call("GET", "/worker/52:54:00:00:7f:01/next?wait=20", null, false));
        Thread.sleep(1_000);
        assertFalse(held.isDone(), "nothing is due: the request waits");
        String second = json(call("POST", "/workflows", "{\"template\":\"install\",\"hardware\":{\"device_1\":\"52:54:00:00:7f:01\"}}", true))
                .get("id").asText();
        long created = System.nanoTime();
        Http.Response answered = held.get(15, java.util.concurrent.TimeUnit.SECONDS);
        long afterCreate = (System.nanoTime() - created) / 1_000_000;
        assertEquals(200, answered.status(), answered.body());
        assertEquals(second, json(answered).get("workflowId").asText());
        assertTrue(afterCreate < 2_000, "answered " + afterCreate + " ms after the workflow was created");
        System.out.println("ControlPlaneIT: a long poll answered " + afterCreate + " ms after its workflow was created");
        Http.Response cancelled = call("POST", "/workflows/" + second + "/cancel", null, true);
        assertEquals(200, cancelled.status(), cancelled.body());
    }

    @Test
    void iPxeScriptsAndBootArtifactsAreServed() throws Exception {
        // two machines of their own: one with an unfinished workflow boots the in-memory OS, one without goes to its disk
        for (String n : List.of("1", "2")) {
            assertEquals(201, call("POST", "/hardware", "{\"id\":\"pxe-" + n + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":"
                    + "\"52:54:00:00:7e:0" + n + "\",\"ip\":{\"address\":\"10.97.0." + n + "\"}},\"netboot\":{\"allow_pxe\":true,"
                    + "\"allow_workflow\":true}}]}}", true).status());
        }
        assertEquals(201, call("POST", "/templates?name=pxe-install", TEMPLATE, true).status());
        assertEquals(201, call("POST", "/workflows", "{\"template\":\"pxe-install\",\"hardware\":{\"device_1\":\"52:54:00:00:7e:01\"}}", true).status());
        String script = Await.until("the boot script for a machine with work", Duration.ofSeconds(10), () -> {
            Http.Response r = Http.get(server.url("/ipxe/52:54:00:00:7e:01/auto.ipxe"));
            return r.status() == 200 && r.body().contains("\nkernel ") ? r.body() : null;
        }).value();
        assertTrue(script.startsWith("#!ipxe\n"), script);
        assertTrue(script.contains("ironbell.worker=52:54:00:00:7e:01") && script.contains("ironbell.hardware=pxe-1")
                && script.contains("/artifacts/osie/vmlinuz") && script.contains("http://127.0.0.1:" + server.httpPort() + "/artifacts/"), script);
        // the worker gets the HTTPS URL, the CA to pin and a boot token of its own; firmware stays on plain HTTP
        assertTrue(script.contains("ironbell.server=https://127.0.0.1:" + server.tlsPort() + " ")
                && script.contains("ironbell.ca=" + server.caFingerprint() + " ") && script.contains(" ironbell.boot_token=ibb_"), script);
        // until the route's in-memory view of unfinished workflows has loaded, every machine boots (fail open)
        String idle = Await.until("the exit script for a machine without work", Duration.ofSeconds(30), () -> {
            Http.Response r = Http.get(server.url("/ipxe/52:54:00:00:7e:02/auto.ipxe"));
            return r.status() == 200 && !r.body().contains("kernel") ? r.body() : null;
        }).value();
        assertTrue(idle.startsWith("#!ipxe\n") && idle.contains("exit"), idle);
        assertEquals(Http.get(server.url("/ipxe/52:54:00:00:7f:01/auto.ipxe")).body(), Http.get(server.url("/ipxe/auto.ipxe")).body(),
                "found by the caller's address");
        assertEquals(404, Http.get(server.url("/ipxe/52:54:00:00:00:99/auto.ipxe")).status());
        assertEquals(400, Http.get(server.url("/ipxe/not-a-mac/auto.ipxe")).status());

        byte[] kernel = new byte[300_000];
        new java.util.Random(7).nextBytes(kernel);
        Files.createDirectories(home.resolve("data/artifacts/osie"));
        Files.write(home.resolve("data/artifacts/osie/vmlinuz"), kernel);
        HttpResponse<byte[]> whole = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url("/artifacts/osie/vmlinuz"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        assertTrue(java.util.Arrays.equals(kernel, whole.body()));
        HttpResponse<byte[]> part = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url("/artifacts/osie/vmlinuz")))
                .header("Range", "bytes=100000-").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, part.statusCode());
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(kernel, 100_000, kernel.length), part.body()));
        assertEquals(404, Http.get(server.url("/artifacts/osie/nothing")).status());
        assertEquals(400, Http.get(server.url("/artifacts/../conf/ironbell.properties")).status());
    }

    @Test
    void theCliDrivesTheServer() throws Exception {
        Path hw = home.resolve("cli-hw.json");
        Files.writeString(hw, "{\"id\":\"cli-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:c1:01\",\"hostname\":\"cli-node\","
                + "\"ip\":{\"address\":\"10.98.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}");
        Path tpl = home.resolve("cli-template.yaml");
        Files.writeString(tpl, TEMPLATE.replace("name: install", "name: cli-install"));
        assertEquals(0, cli("hardware", "push", "-f", hw.toString()).status());
        Cli list = cli("hardware", "list");
        assertTrue(list.out().contains("cli-node") && list.out().contains("52:54:00:00:c1:01"), list.out());
        assertEquals("cli-1", json(new Http.Response(200, cli("hardware", "get", "10.98.0.1", "-o", "json").out())).get("id").asText());
        assertEquals(0, cli("template", "create", "-f", tpl.toString()).status());
        Cli created = cli("workflow", "create", "-t", "cli-install", "-r", "{\"device_1\":\"52:54:00:00:c1:01\"}");
        assertEquals(0, created.status(), created.err());
        String id = created.out().trim();
        assertTrue(cli("workflow", "get", id).out().contains("stream"), "workflow get lists the actions");
        assertTrue(cli("workflow", "list", "-o", "yaml").out().contains(id));

        // a worker (this test, with the admin token) runs it while `workflow watch` follows it
        CompletableFuture<Cli> watch = CompletableFuture.supplyAsync(() -> cli("workflow", "watch", id, "--interval", "200"));
        for (int i = 0; i < 2; i++) {
            JsonNode a = json(call("GET", "/worker/52:54:00:00:c1:01/next", null, true));
            call("POST", "/worker/52:54:00:00:c1:01/report", "{\"workflowId\":\"" + id + "\",\"actionIndex\":" + a.get("actionIndex")
                    + ",\"state\":\"RUNNING\",\"progress\":{\"done\":512,\"total\":1024,\"rate\":100}}", true);
            Thread.sleep(500);
            call("POST", "/worker/52:54:00:00:c1:01/report", "{\"workflowId\":\"" + id + "\",\"actionIndex\":" + a.get("actionIndex")
                    + ",\"state\":\"SUCCESS\"}", true);
        }
        Cli watched = watch.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, watched.status(), watched.err());
        assertTrue(watched.out().contains("stream  SUCCESS") && watched.out().contains("workflow  SUCCESS"), watched.out());
        assertTrue(watched.out().contains("(50%)"), "a progress bar was drawn: " + watched.out());
        Cli events = cli("workflow", "events", id);
        assertTrue(events.out().contains("kexec") && events.out().contains("SUCCESS"), events.out());

        Cli missing = cli("workflow", "get", "no-such-id");
        assertEquals(3, missing.status());
        assertTrue(missing.err().contains("no workflow no-such-id"), missing.err());
        assertEquals(4, cli("--token", "not-the-right-token", "hardware", "list").status());
        assertEquals(2, cli("hardware", "frobnicate").status());
        Cli noServer = cliAt("http://127.0.0.1:1", "hardware", "list");
        assertEquals(5, noServer.status(), noServer.err());
        assertTrue(cli("completion").out().contains("complete -F"), "bash completion");
        assertEquals(0, cli("hardware", "delete", "cli-1").status());
    }

    record Cli(int status, String out, String err) {
    }

    static Cli cli(String... args) {
        return cliAt(null, args);
    }

    static Cli cliAt(String serverUrl, String... args) {
        try {
            // found without flags on the server's machine: its port, data/api-token for the token
            Sh.Result r = server.cli(serverUrl == null ? Map.of() : Map.of("IRONBELL_SERVER", serverUrl), args);
            return new Cli(r.status(), r.output(), r.errors());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
