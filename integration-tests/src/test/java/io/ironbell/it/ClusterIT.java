package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two server processes on one PostgreSQL, no coordinator between them, and one killed with
 * SIGKILL in the middle of 200 workflows. Workers, simulated through the worker API, are spread
 * over both servers and go to the other when theirs stops answering. Every workflow finishes;
 * no action is handed out again after its worker finished it; every action has exactly one
 * RUNNING and one SUCCESS event; and ten workflows whose workers fell silent with the dead server
 * are ended by their action timeout, swept by the survivor, which leads once the dead one's
 * database session (and the leader's lock with it) is gone. Both servers answer DHCP for the
 * records' reservations (perfdhcp as a relay agent against each), and the survivor still does
 * after the kill. One real worker (the distribution's, on this host) runs a workflow of three
 * actions of a vendor plugin through b meanwhile: the plugin pushed through a and the workflow
 * created on a, both found by b in the shared database. Needs root, iproute2, perfdhcp and the
 * test PostgreSQL (.ci/prepare).
 */
class ClusterIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final int WORKFLOWS = 200;
    /** Workflows whose workers fall silent once their action runs: the machines died with the server. */
    private static final int LOST = 10;
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibk" + ID;
    private static Path work;
    /** Each server's own admin token (data/api-token: a bootstrap token is its installation's). */
    private static final String[] tokens = new String[2];
    private static final ServerProcess[] servers = new ServerProcess[2];
    private static final Path HELLO_JAR = Path.of(System.getProperty("ironbell.exampleActionJar"));
    private static final String REAL_MAC = "52:54:00:c7:ff:01";
    private static ServerProcess realWorker;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("cluster-it");
        Shell.require("ClusterIT", List.of("ip", "perfdhcp"));
        cleanup();
        // DHCP: the servers on 10.238.3.1 (a) and .2 (b) here, perfdhcp's relays 10.238.2.1 and .2 in a namespace, routed by a veth pair
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "link", "add", "k" + ID + "r", "type", "veth", "peer", "name", "k" + ID + "a"},
            {"ip", "link", "set", "k" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.238.1.1/30", "dev", "k" + ID + "r"},
            {"ip", "addr", "add", "10.238.3.1/32", "dev", "k" + ID + "r"}, {"ip", "addr", "add", "10.238.3.2/32", "dev", "k" + ID + "r"},
            {"ip", "link", "set", "k" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.238.1.2/30", "dev", "k" + ID + "a"},
            {"ip", "-n", NS, "addr", "add", "10.238.2.1/32", "dev", "k" + ID + "a"}, {"ip", "-n", NS, "addr", "add", "10.238.2.2/32", "dev", "k" + ID + "a"},
            {"ip", "-n", NS, "link", "set", "k" + ID + "a", "up"},
            {"ip", "-n", NS, "route", "add", "10.238.3.0/24", "via", "10.238.1.1"},
            {"ip", "route", "add", "10.238.2.0/24", "via", "10.238.1.2"},
        });
        String url = TestPostgres.createDatabase();
        for (int i = 0; i < 2; i++) {
            String name = i == 0 ? "a" : "b";
            String listen = "10.238.3." + (i + 1);
            servers[i] = ServerProcess.start(DISTRIBUTION, work.resolve("home-" + name), Map.of("IRONBELL_STORAGE_JDBC_URL", url,
                    "IRONBELL_STORAGE_USER", "ironbell", "IRONBELL_SERVER_INSTANCE", name, "IRONBELL_ENGINE_SWEEP_MILLIS", "500",
                    // the simulated workers all call from 127.0.0.1, where real machines have an address each
                    "IRONBELL_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "1024",
                    "IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_LISTEN", listen, "IRONBELL_SERVER_ADDRESS", listen,
                    "IRONBELL_DHCP_RELAYS", "10.238.2.0/24", "IRONBELL_DHCP_RATE_PER_MAC", "0"));
        }
        for (ServerProcess s : servers) {
            s.awaitHealthy(Duration.ofSeconds(90));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(s.url("/readyz")).status() == 200 ? true : null);
        }
        tokens[0] = Files.readString(work.resolve("home-a/data/api-token")).trim();
        tokens[1] = Files.readString(work.resolve("home-b/data/api-token")).trim();
    }

    @AfterAll
    static void stop() throws Exception {
        if (realWorker != null) {
            realWorker.close();
        }
        for (ServerProcess s : servers) {
            if (s != null) {
                s.close();
            }
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "k" + ID + "r"));
    }

    /**
     * perfdhcp relaying 400 exchanges for the records' MACs (from relay 10.238.2.(server + 1)) to a
     * server; fails unless each one's DISCOVER got its OFFER and its REQUEST its ACK.
     */
    private static void everyReservationAnswered(int server) throws Exception {
        String relay = "10.238.2." + (server + 1);
        Shell.Result r = Shell.run(List.of("ip", "netns", "exec", NS, "timeout", "40", "perfdhcp", "-4", "-l", relay, "-M",
                work.resolve("macs").toString(), "-n", "400", "-r", "200", "-W", "1000000", "10.238.3." + (server + 1)));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "Statistics for: ([A-Z-]+)\\*+\\s+sent packets: (\\d+)\\s+received packets: (\\d+)\\s+drops: (\\d+)").matcher(r.output());
        int exchanges = 0;
        while (m.find()) {
            exchanges++;
            assertEquals("400", m.group(2), m.group(1) + " sent, server " + server + ":\n" + r.output());
            assertEquals("400", m.group(3), m.group(1) + " answered, server " + server + ":\n" + r.output());
        }
        assertEquals(2, exchanges, r.output());
    }

    private static Http.Response call(int server, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(servers[server].secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + tokens[server])
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return Http.send(b.build());
    }

    private static JsonNode json(Http.Response r) throws Exception {
        assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.body());
        return Json.mapper().readTree(r.body());
    }

    private static String mac(int i) {
        return String.format("52:54:00:c7:%02x:%02x", i >> 8, i & 0xff);
    }

    /** The instances a server's /readyz says it sees, by name: whether each is alive, and whether it leads. */
    private static Map<String, String> instances(int server) {
        JsonNode r;
        try {
            r = Json.mapper().readTree(Http.get(servers[server].url("/readyz")).body()).path("instance");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, String> out = new HashMap<>();
        for (JsonNode i : r.path("instances")) {
            out.put(i.get("id").asText(), (i.get("alive").asBoolean() ? "alive" : "gone") + (i.get("leader").asBoolean() ? " leader" : ""));
        }
        return out;
    }

    @Test
    void everyWorkflowFinishesOnceWhenAServerIsKilledInTheMiddle() throws Exception {
        Await.until("each server sees both", Duration.ofSeconds(30), () -> instances(0).size() == 2 && instances(1).size() == 2
                && !instances(0).containsValue("gone") ? true : null);
        Map<String, String> seen = instances(1);
        assertEquals(1, seen.values().stream().filter(v -> v.endsWith("leader")).count(), "one leader: " + seen);
        JsonNode readyA = Json.mapper().readTree(Http.get(servers[0].url("/readyz")).body());
        assertEquals("a", readyA.at("/instance/id").asText(), readyA.toString());
        assertTrue(Http.get(servers[1].url("/metrics")).body().contains("ironbell_instances_alive 2"), "b's metrics count both");

        String steps = """
                version: "0.1"
                name: %s
                global_timeout: 600
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - {name: one, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: %d}
                      - {name: two, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: %d}
                      - {name: three, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: %d}
                """;
        assertEquals(201, call(0, "POST", "/templates?name=steps", steps.formatted("steps", 120, 120, 120)).status());
        assertEquals(201, call(0, "POST", "/templates?name=lost", steps.formatted("lost", 15, 15, 15)).status());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < WORKFLOWS; i++) {
            int s = i % 2;
            assertEquals(201, call(s, "POST", "/hardware", "{\"id\":\"c-" + i + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                    + mac(i) + "\",\"ip\":{\"address\":\"10.239.0." + (i + 10) + "\",\"netmask\":\"255.255.255.0\"}},"
                    + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
            ids.add(json(call(s, "POST", "/workflows", "{\"template\":\"" + (i < LOST ? "lost" : "steps") + "\",\"hardware\":{\"device_1\":\""
                    + mac(i) + "\"}}")).get("id").asText());
        }

        List<String> macs = new ArrayList<>();
        for (int i = 0; i < WORKFLOWS; i++) {
            macs.add(mac(i));
        }
        Files.write(work.resolve("macs"), macs);
        // both servers answer every reservation (b's index learnt a's records through LISTEN/NOTIFY)
        Await.until("b knows every record", Duration.ofSeconds(30), () -> servers[1].metric("ironbell_hardware_records") >= WORKFLOWS ? true : null);
        everyReservationAnswered(0);
        everyReservationAnswered(1);

        // the real worker, on b: the vendor plugin pushed through a, its machine and workflow created on a
        io.ironbell.testing.Sh.Result pushed = servers[0].cli(Map.of(), "plugin", "push", HELLO_JAR.toString());
        assertEquals(0, pushed.status(), pushed.output() + pushed.errors());
        assertEquals(201, call(0, "POST", "/hardware", "{\"id\":\"real-worker\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                + REAL_MAC + "\",\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
        StringBuilder real = new StringBuilder("version: \"0.1\"\nname: real\nglobal_timeout: 600\ntasks:\n  - name: t\n"
                + "    worker: \"{{.device_1}}\"\n    actions:\n");
        for (int i = 1; i <= 3; i++) {
            real.append("      - {name: greet-").append(i).append(", image: \"ghcr.io/acme/hello:1.0\", timeout: 60, ")
                    .append("environment: {NAME: \"cluster ").append(i).append("\", SECONDS: \"2\"}}\n");
        }
        assertEquals(201, call(0, "POST", "/templates?name=real", real.toString()).status());
        Path realToken = Files.writeString(work.resolve("real-worker-token"), tokens[1] + "\n");
        realWorker = ServerProcess.startWorker(servers[1].home(), servers[1].secureUrl(""), REAL_MAC, Map.of(), "--ca",
                servers[1].caFile().toString(), "--token-file", realToken.toString(), "-Dworker.pollMillis=200");
        Await.until("the real worker to run", Duration.ofSeconds(90), () -> realWorker.output().stream()
                .anyMatch(l -> l.contains("takes its actions from")) ? true : null);
        String realId = json(call(0, "POST", "/workflows", "{\"template\":\"real\",\"hardware\":{\"device_1\":\"" + REAL_MAC + "\"}}"))
                .get("id").asText();

        // the workers: each asks its server (a for even, b for odd), and the other when its own stops answering
        Map<String, Integer> doneTwice = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicInteger failovers = new AtomicInteger();
        Map<String, Integer> failedCalls = new ConcurrentHashMap<>();
        AtomicInteger actionsDone = new AtomicInteger();
        CountDownLatch lostRunning = new CountDownLatch(LOST);
        ExecutorService workers = Executors.newFixedThreadPool(WORKFLOWS);
        List<Future<?>> running = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        for (int i = 0; i < WORKFLOWS; i++) {
            int n = i;
            running.add(workers.submit(() -> {
                int server = n < LOST ? 0 : n % 2;
                Set<Integer> finished = new java.util.HashSet<>();
                while (System.nanoTime() < deadline) {
                    Http.Response next = call(server, "GET", "/worker/" + mac(n) + "/next", null);
                    if (next.status() >= 500 || next.status() < 0) {
                        failedCalls.merge((server == 0 ? "a " : "b ") + next.status(), 1, Integer::sum);
                        server = 1 - server; // the server is gone: the other one
                        failovers.incrementAndGet();
                        continue;
                    }
                    if (next.status() == 204) {
                        if (finished.size() == 3) {
                            return null;
                        }
                        sleep(200);
                        continue;
                    }
                    JsonNode a = Json.mapper().readTree(next.body());
                    int idx = a.get("actionIndex").asInt();
                    if (finished.contains(idx)) {
                        doneTwice.merge(ids.get(n) + "/" + idx, 1, Integer::sum);
                    }
                    if (n < LOST) {
                        lostRunning.countDown();
                        return null; // the machine went down with server a: it never reports
                    }
                    sleep(50 + (n * 7) % 150);
                    String report = "{\"workflowId\":\"" + ids.get(n) + "\",\"actionIndex\":" + idx + ",\"state\":\"SUCCESS\"}";
                    Http.Response r = call(server, "POST", "/worker/" + mac(n) + "/report", report);
                    while (r.status() >= 500 || r.status() < 0) {
                        failedCalls.merge((server == 0 ? "a " : "b ") + r.status() + " " + r.body(), 1, Integer::sum);
                        server = 1 - server;
                        failovers.incrementAndGet();
                        r = call(server, "POST", "/worker/" + mac(n) + "/report", report);
                    }
                    // 409: the dead server committed it before it died, and said nothing
                    if (r.status() != 200 && r.status() != 409) {
                        problems.add(ids.get(n) + " action " + idx + ": " + r.status() + " " + r.body());
                    }
                    finished.add(idx);
                    actionsDone.incrementAndGet();
                }
                problems.add(ids.get(n) + " not finished in time");
                return null;
            }));
        }
        // the ten that fall silent hold their action; once a third of the rest is done, a dies without a word
        assertTrue(lostRunning.await(60, TimeUnit.SECONDS), "the lost machines' actions started");
        Await.until("a third of the actions done", Duration.ofSeconds(60), () -> actionsDone.get() > (WORKFLOWS - LOST) ? true : null);
        long killedAt = System.nanoTime();
        servers[0].process().destroyForcibly();
        assertTrue(servers[0].process().waitFor(10, TimeUnit.SECONDS), "a is dead");
        int doneAtKill = actionsDone.get();
        for (Future<?> f : running) {
            f.get(180, TimeUnit.SECONDS);
        }
        workers.shutdownNow();
        System.out.printf("cluster: a killed after %d of %d actions; %d failovers; all workers done %.1f s after the kill; failed calls: %s%n",
                doneAtKill, 3 * (WORKFLOWS - LOST), failovers.get(), (System.nanoTime() - killedAt) / 1e9, failedCalls);
        assertTrue(problems.isEmpty(), problems.toString());
        assertTrue(doneTwice.isEmpty(), "actions handed out again after their worker finished them: " + doneTwice);
        assertTrue(failovers.get() > 0, "some workers had to go to b");

        // the lost machines' actions time out: swept by b, the only one left, which leads now
        Await.until("the lost workflows timed out", Duration.ofSeconds(60), () -> {
            for (int i = 0; i < LOST; i++) {
                if (!call(1, "GET", "/workflows/" + ids.get(i), null).body().contains("\"state\":\"TIMEOUT\"")) {
                    return null;
                }
            }
            return true;
        });
        Map<String, String> after = Await.until("b sees a gone", Duration.ofSeconds(30), () -> {
            Map<String, String> m = instances(1);
            // its last heartbeat may say it led then: gone all the same
            return m.getOrDefault("a", "").startsWith("gone") ? m : null;
        }).value();
        assertEquals("alive leader", after.get("b"), after.toString());
        assertTrue(servers[1].metric("ironbell_workflow_timeouts_total") >= LOST, "b swept the timeouts");

        // every workflow finished; each action of the others ran once: one RUNNING and one SUCCESS event, nothing twice
        for (int i = 0; i < WORKFLOWS; i++) {
            JsonNode w = json(call(1, "GET", "/workflows/" + ids.get(i), null));
            if (i < LOST) {
                continue;
            }
            assertEquals("SUCCESS", w.get("state").asText(), w.toString());
            Map<String, Integer> events = new HashMap<>();
            Set<Long> sequences = new java.util.HashSet<>();
            for (JsonNode e : json(call(1, "GET", "/workflows/" + ids.get(i) + "/events?limit=1000", null)).get("items")) {
                assertTrue(sequences.add(e.get("sequence").asLong()), "an event twice: " + e);
                events.merge((e.hasNonNull("action") ? e.get("action").asText() : "workflow") + " " + e.get("state").asText(), 1, Integer::sum);
            }
            for (String action : List.of("one", "two", "three")) {
                assertEquals(1, events.getOrDefault(action + " RUNNING", 0), ids.get(i) + ": " + events);
                assertEquals(1, events.getOrDefault(action + " SUCCESS", 0), ids.get(i) + ": " + events);
            }
            assertEquals(1, events.getOrDefault("workflow SUCCESS", 0), ids.get(i) + ": " + events);
        }
        // the real worker's workflow: every action run once, through b, by the plugin pushed through a
        JsonNode realDone = Await.until("the real worker's workflow ends", Duration.ofSeconds(90), () -> {
            Http.Response r = call(1, "GET", "/workflows/" + realId, null);
            JsonNode w;
            try {
                w = Json.mapper().readTree(r.body());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            String st = w.path("state").asText();
            return st.equals("PENDING") || st.equals("RUNNING") ? null : w;
        }).value();
        assertEquals("SUCCESS", realDone.get("state").asText(), realDone.toPrettyString() + "\n" + String.join("\n", realWorker.output()));
        Map<String, Integer> realEvents = new HashMap<>();
        for (JsonNode e : json(call(1, "GET", "/workflows/" + realId + "/events?limit=1000", null)).get("items")) {
            // the real worker also says RUNNING itself when it starts an action: the claims are the server's "handed to the worker"
            String kind = e.get("state").asText().equals("RUNNING") && e.path("message").asText().contains("handed to the worker") ? "CLAIMED"
                    : e.get("state").asText();
            realEvents.merge((e.hasNonNull("action") ? e.get("action").asText() : "workflow") + " " + kind, 1, Integer::sum);
        }
        for (int i = 1; i <= 3; i++) {
            assertEquals(1, realEvents.getOrDefault("greet-" + i + " CLAIMED", 0), realEvents.toString());
            assertEquals(1, realEvents.getOrDefault("greet-" + i + " SUCCESS", 0), realEvents.toString());
            assertTrue(realDone.get("actions").get(i - 1).get("message").asText().contains("cluster " + i), realDone.toString());
        }

        assertFalse(servers[0].process().isAlive());
        // and DHCP goes on from the survivor
        everyReservationAnswered(1);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
