package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The holes a security review found, each attempted against the real server from this host and
 * refused.
 */
class SecurityIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String OSIE_BUILD = System.getProperty("ironbell.osieBuild");

    @TempDir
    static Path tmp;
    private static ServerProcess server;
    private static Path home;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        home = tmp.resolve("home");
        server = ServerProcess.start(DISTRIBUTION, home, Map.of());
        server.awaitHealthy(Duration.ofMinutes(2));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static Http.Response post(String path, String contentType, String body, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl(path))).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return Http.send(b.build());
    }

    /** H1: backup and restore wrote and read any path for any loopback caller, as the server's user. */
    @Test
    void backupAndRestoreNeedTheAdminTokenJsonAndTheBackupDirectory() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        String json = "{\"file\":\"" + victim + "\"}";
        // a local process or a web page in a browser on this host: no token, text/plain, any path
        Http.Response anonymous = post("/api/v1/backup", "text/plain", json, null);
        assertEquals(401, anonymous.status(), anonymous.body());
        Http.Response plain = post("/api/v1/backup", "text/plain", "{\"file\":\"x.gz\"}", token);
        assertEquals(415, plain.status(), plain.body());
        for (String escape : new String[] {victim.toString(), "../api-token", "../../conf/ironbell.properties", "sub/x.gz", ".hidden"}) {
            Http.Response r = post("/api/v1/backup", "application/json", "{\"file\":\"" + escape + "\"}", token);
            assertEquals(400, r.status(), escape + ": " + r.body());
            assertTrue(r.body().contains("backup directory"), r.body());
            Http.Response read = post("/api/v1/restore", "application/json", "{\"file\":\"" + escape + "\"}", token);
            assertEquals(400, read.status(), escape + ": " + read.body());
        }
        assertEquals("precious\n", Files.readString(victim), "nothing was written outside the backup directory");

        Http.Response ok = post("/api/v1/backup", "application/json", "{\"file\":\"nightly.gz\"}", token);
        assertEquals(200, ok.status(), ok.body());
        Path written = home.resolve("data/backups/nightly.gz");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(written.getParent())));
        long size = Files.size(written);
        Http.Response again = post("/api/v1/backup", "application/json", "{\"file\":\"nightly.gz\"}", token);
        assertEquals(409, again.status(), "a backup never replaces a file: " + again.body());
        assertEquals(size, Files.size(written));
        try (var files = Files.list(written.getParent())) {
            assertEquals(1, files.count(), "no partial file left behind");
        }
        Http.Response restore = post("/api/v1/restore", "application/json", "{\"file\":\"nightly.gz\"}", null);
        assertEquals(401, restore.status(), restore.body());
    }

    /** H2: the embedded PostgreSQL trusted every local connection, and the server was its superuser. */
    @Test
    void theEmbeddedDatabaseWantsAPasswordAndTheServerIsNoSuperuser() throws Exception {
        Path auth = home.resolve("data/postgres-auth.properties");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(auth)));
        String port = Files.readAllLines(home.resolve("data/postgres/postmaster.pid")).get(3).trim();
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/ironbell";
        for (String[] who : new String[][] {{"postgres", ""}, {"postgres", "guess"}, {"ironbell", ""}}) {
            java.sql.SQLException e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> java.sql.DriverManager.getConnection(url, who[0], who[1]).close(), who[0] + " got in with '" + who[1] + "'");
            assertTrue(e.getMessage().contains("password"), e.getMessage());
        }
        try (java.sql.Connection c = StorageIT.embedded(home); java.sql.Statement s = c.createStatement()) {
            try (java.sql.ResultSet r = s.executeQuery("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")) {
                assertTrue(r.next());
                assertFalse(r.getBoolean(1) || r.getBoolean(2) || r.getBoolean(3), "the server's role has no power beyond its database");
            }
            java.sql.SQLException program = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> s.execute("COPY (SELECT 1) TO PROGRAM 'id'"));
            assertTrue(program.getMessage().contains("permission denied"), program.getMessage());
            try (java.sql.ResultSet r = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user")) {
                r.next();
                assertEquals(0, r.getInt(1), "every table belongs to the server's role");
            }
        }
    }

    /** M4: a .cfg in deploy/ replaced the admin token or published any directory. */
    @Test
    void deployedConfigurationCannotSetSecretsOrDirectories() throws Exception {
        String attackers = "attacker-chosen-token-0123456789";
        Path cfg = Files.writeString(tmp.resolve("api.cfg"), "token=" + attackers + "\n");
        io.ironbell.testing.Bundles.dropInto(server.deploy(), cfg, "io.ironbell.api.cfg");
        Path artifacts = Files.writeString(tmp.resolve("artifacts.cfg"), "dir=/\n");
        io.ironbell.testing.Bundles.dropInto(server.deploy(), artifacts, "io.ironbell.artifacts.cfg");
        // FileInstall scans deploy/ every 300 ms: what it would apply, it applies within a few scans; the absence
        // of a change can only be watched over a window, ten scans long
        Thread.sleep(3_000);
        assertEquals(401, get("/api/v1/hardware", attackers).status(), "the deployed token is not the admin's");
        assertEquals(200, get("/api/v1/hardware", token).status(), "the admin token still is");
        assertEquals(404, Http.get(server.url("/artifacts/etc/hostname")).status(), "the file system is not published");
    }

    /** M4: the server refuses to run code and settings that others may change. */
    @Test
    void aServerWhoseDeployDirectoryOthersMayWriteRefusesToStart() throws Exception {
        Path other = ServerProcess.install(DISTRIBUTION, tmp.resolve("loose"));
        Files.setPosixFilePermissions(other.resolve("deploy"), PosixFilePermissions.fromString("rwxrwxrwx"));
        try (ServerProcess loose = ServerProcess.startIn(other, Map.of())) {
            assertTrue(loose.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "it exits");
            assertEquals(78, loose.process().exitValue());
            Await.until("the reason on its output", Duration.ofSeconds(5), () -> loose.output().stream()
                    .anyMatch(l -> l.contains("refusing to start") && l.contains(other.resolve("deploy") + " is writable by everyone")) ? true : null);
        }
    }

    /**
     * H4: a slowloris (60 connections trickling a byte each half second) and a connection flood
     * (2,000 connections held open from one address), bounded in count and time, while health
     * checks from another address stay answered within 250 ms.
     */
    @Test
    void aSlowlorisAndAConnectionFloodLeaveHealthChecksFast() throws Exception {
        java.util.List<java.net.Socket> held = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        long stopAt = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        Thread flood = new Thread(() -> {
            for (int i = 0; i < 2_000 && running.get() && System.nanoTime() < stopAt; i++) {
                try {
                    held.add(new java.net.Socket("127.0.0.1", server.httpPort()));
                } catch (java.io.IOException refused) {
                    // the backlog is full: what a flood meets
                }
            }
        });
        Thread slowloris = new Thread(() -> {
            java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 60; i++) {
                    java.net.Socket s = new java.net.Socket();
                    s.bind(new java.net.InetSocketAddress("127.0.2." + (1 + i % 4), 0));
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()));
                    s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                while (running.get() && System.nanoTime() < stopAt) {
                    Thread.sleep(500);
                    for (java.net.Socket s : slow) {
                        try {
                            s.getOutputStream().write('X');
                        } catch (java.io.IOException closed) {
                            // the server hung up on it
                        }
                    }
                }
            } catch (Exception e) {
                // ends the attack
            } finally {
                slow.forEach(s -> {
                    try {
                        s.close();
                    } catch (java.io.IOException ignored) {
                        // closing
                    }
                });
            }
        });
        flood.start();
        slowloris.start();
        java.util.List<Long> latencies = new java.util.ArrayList<>();
        try {
            while (System.nanoTime() < stopAt) {
                long t0 = System.nanoTime();
                try (java.net.Socket s = new java.net.Socket()) {
                    s.bind(new java.net.InetSocketAddress("127.0.0.9", 0));
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()), 2_000);
                    s.setSoTimeout(2_000);
                    s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
                }
                latencies.add((System.nanoTime() - t0) / 1_000_000);
                // every 20 ms: ~350 checks, so that the 99th percentile is one and not the slowest of 74
                Thread.sleep(20);
            }
        } finally {
            running.set(false);
            flood.join(15_000);
            slowloris.join(15_000);
            synchronized (held) {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
        java.util.Collections.sort(latencies);
        long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
        System.out.println("health checks during the attack: " + latencies.size() + ", median " + latencies.get(latencies.size() / 2)
                + " ms, p99 " + p99 + " ms; flood held " + held.size() + " sockets");
        assertTrue(latencies.size() > 30, "health checks answered: " + latencies.size());
        assertTrue(p99 < 250, "p99 " + p99 + " ms");
        assertTrue(server.metric("ironbell_http_connections_refused_total") > 0, "the flood met the per-address cap");
    }

    /** Roles, expiry, revocation and the audit log, from the CLI as operators use them. */
    @Test
    void namedTokensActWithTheirRoleUntilRevokedAndEveryChangeIsAudited() throws Exception {
        io.ironbell.testing.Sh.Result created = server.cli(Map.of(), "token", "create", "ci-bot", "--role", "operator", "--expires", "30d");
        assertEquals(0, created.status(), created.errors());
        String ci = created.output().trim();
        assertTrue(ci.startsWith("ib_"), created.output());
        Map<String, String> asCi = Map.of("IRONBELL_TOKEN", ci);

        assertEquals(0, server.cli(asCi, "hardware", "list").status(), "an operator reads");
        Path hw = Files.writeString(tmp.resolve("sec-hw.json"), "{\"id\":\"sec-1\",\"network\":{\"interfaces\":[{\"dhcp\":"
                + "{\"mac\":\"52:54:00:00:5e:01\",\"ip\":{\"address\":\"10.95.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}");
        io.ironbell.testing.Sh.Result denied = server.cli(asCi, "hardware", "push", "-f", hw.toString());
        assertEquals(4, denied.status(), denied.errors());
        assertTrue(denied.errors().contains("token ci-bot has the role operator; this needs admin (HTTP 403)"), denied.errors());
        assertEquals(4, server.cli(asCi, "token", "list").status(), "only admins see tokens");
        assertEquals(0, server.cli(Map.of(), "hardware", "push", "-f", hw.toString()).status());

        // an operator runs workflows; a viewer only looks
        Path tpl = Files.writeString(tmp.resolve("sec-template.yaml"), ControlPlaneIT.TEMPLATE.replace("name: install", "name: sec-install"));
        assertEquals(0, server.cli(Map.of(), "template", "create", "-f", tpl.toString()).status());
        io.ironbell.testing.Sh.Result wf = server.cli(asCi, "workflow", "create", "-t", "sec-install", "-r", "{\"device_1\":\"52:54:00:00:5e:01\"}");
        assertEquals(0, wf.status(), wf.errors());
        String workflow = wf.output().trim();
        assertEquals(0, server.cli(asCi, "workflow", "cancel", workflow).status());
        String viewer = server.cli(Map.of(), "token", "create", "watcher", "--role", "viewer").output().trim();
        assertEquals(0, server.cli(Map.of("IRONBELL_TOKEN", viewer), "workflow", "get", workflow).status());
        io.ironbell.testing.Sh.Result looking = server.cli(Map.of("IRONBELL_TOKEN", viewer), "workflow", "create", "-t", "sec-install",
                "-r", "{\"device_1\":\"52:54:00:00:5e:01\"}");
        assertEquals(4, looking.status(), looking.errors());
        assertTrue(looking.errors().contains("token watcher has the role viewer; this needs operator"), looking.errors());

        io.ironbell.testing.Sh.Result list = server.cli(Map.of(), "token", "list");
        assertTrue(list.output().contains("ci-bot") && list.output().contains("OPERATOR".toLowerCase()), list.output());
        assertFalse(list.output().contains(ci.substring(16)), "no secret is ever listed");

        assertEquals(0, server.cli(Map.of(), "token", "revoke", "ci-bot").status());
        io.ironbell.testing.Sh.Result revoked = server.cli(asCi, "hardware", "list");
        assertEquals(4, revoked.status(), "revoked: " + revoked.errors());
        assertTrue(revoked.errors().contains("wrong, expired or revoked"), revoked.errors());

        io.ironbell.testing.Sh.Result audit = server.cli(Map.of(), "audit", "-o", "json");
        assertEquals(0, audit.status(), audit.errors());
        var items = io.ironbell.api.json.Json.mapper().readTree(audit.output()).get("items");
        java.util.List<String> seen = new java.util.ArrayList<>();
        items.forEach(e -> seen.add(e.get("actor").asText() + " " + e.get("action").asText() + " " + e.get("target").asText()
                + " from " + e.get("source").asText()));
        assertTrue(seen.contains("admin token.create ci-bot from 127.0.0.1"), seen.toString());
        assertTrue(seen.contains("admin hardware.create sec-1 from 127.0.0.1"), seen.toString());
        assertTrue(seen.contains("admin token.revoke ci-bot from 127.0.0.1"), seen.toString());
        assertTrue(seen.contains("ci-bot workflow.create " + workflow + " from 127.0.0.1"), seen.toString());
        assertTrue(seen.contains("ci-bot workflow.cancel " + workflow + " from 127.0.0.1"), seen.toString());
        assertTrue(seen.contains("admin template.create sec-install from 127.0.0.1"), seen.toString());
        assertFalse(audit.output().contains(ci.substring(16)), "no secret in the audit log");
    }

    /**
     * TLS: the API is not served over plain HTTP, and a server whose certificate is not the one
     * trusted (another installation's) is refused by the CLI and by the worker before anything is sent.
     */
    @Test
    void aServerWithAnotherCertificateIsRefusedByTheCliAndTheWorker() throws Exception {
        Http.Response plain = Http.send(HttpRequest.newBuilder(URI.create(server.url("/api/v1/hardware"))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).GET().build());
        assertEquals(403, plain.status(), plain.body());
        assertTrue(plain.body().contains("https_required") && plain.body().contains("port " + server.tlsPort()), plain.body());
        assertEquals(200, Http.get(server.url("/healthz")).status(), "health stays on plain HTTP");

        try (ServerProcess other = ServerProcess.start(DISTRIBUTION, tmp.resolve("other-install"), Map.of())) {
            other.awaitHealthy(Duration.ofMinutes(2));
            io.ironbell.testing.Sh.Result own = server.cli(Map.of(), "hardware", "list");
            assertEquals(0, own.status(), "its own server, verified by data/tls/ca.pem: " + own.errors());
            // this installation's CLI pointed at the other server: it trusts its own CA, not that one
            io.ironbell.testing.Sh.Result wrong = server.cli(Map.of("IRONBELL_SERVER", other.secureUrl("")), "hardware", "list");
            assertEquals(9, wrong.status(), wrong.output() + wrong.errors());
            assertTrue(wrong.errors().contains("not trusted"), wrong.errors());
            io.ironbell.testing.Sh.Result pinned = server.cli(Map.of("IRONBELL_CA_FINGERPRINT", "sha256:" + "00".repeat(32)), "hardware", "list");
            assertEquals(9, pinned.status(), "a pin the server's chain does not hold: " + pinned.errors());
            assertEquals(0, server.cli(Map.of("IRONBELL_CA_FINGERPRINT", server.caFingerprint()), "hardware", "list").status());

            // a worker pinned to this installation's CA, pointed at the other server, refuses it
            long failedBefore = other.metric("ironbell_http_tls_handshakes_failed_total");
            try (ServerProcess worker = ServerProcess.startWorker(home, other.secureUrl(""), "52:54:00:00:5e:0a",
                    Map.of("IRONBELL_WORKER_BOOT_TOKEN", "ibb_never.sent"), "--ca-fingerprint", server.caFingerprint(), "--state",
                    tmp.resolve("wrong-cert-worker").toString(), "-Dworker.pollMillis=200")) {
                Await.until("the worker to refuse the other server", Duration.ofSeconds(60), () -> worker.output().stream()
                        .anyMatch(l -> l.contains("is not trusted")) ? true : null);
            }
            assertTrue(other.metric("ironbell_http_tls_handshakes_failed_total") > failedBefore, "the handshake was broken off");
            assertTrue(other.output().stream().noneMatch(l -> l.contains("ibb_never") || l.contains("boot token")),
                    "the other server never saw the boot token");
        }
        // and a worker given a plain-HTTP server does not start its loop
        try (ServerProcess worker = ServerProcess.startWorker(home, server.url(""), "52:54:00:00:5e:0b", Map.of(), "--state",
                tmp.resolve("plain-worker").toString())) {
            Await.until("the worker to refuse plain HTTP", Duration.ofSeconds(60), () -> worker.output().stream()
                    .anyMatch(l -> l.contains("the worker talks HTTPS only")) ? true : null);
        }
    }

    /** L3: a worker's token given on the command line was in every `ps`. */
    @Test
    void theWorkersTokenStaysOutOfPs() throws Exception {
        Path file = Files.writeString(tmp.resolve("worker-token"), token + "\n");
        try (ServerProcess worker = ServerProcess.startWorker(home, server.secureUrl(""), "52:54:00:00:5e:09", Map.of(),
                "--ca", server.caFile().toString(), "--token-file", file.toString(), "-Dworker.pollMillis=200")) {
            Await.until("the worker to run", Duration.ofSeconds(60), () -> worker.output().stream()
                    .anyMatch(l -> l.contains("started")) ? true : null);
            assertTrue(worker.process().isAlive(), String.join("\n", worker.output()));
            String cmdline = Files.readString(Path.of("/proc/" + worker.process().pid() + "/cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("--token-file"), cmdline);
            assertFalse(cmdline.contains(token), "the token is not on the command line");
        }
    }

    private static Http.Response get(String path, String bearer) {
        return Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl(path))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer).GET().build());
    }

    /** L3: the generated admin token is readable by the server's user alone, from its creation on. */
    @Test
    void theGeneratedTokenFileIsTheServersAlone() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("data/api-token"))));
    }

    /** M5: the in-memory OS is served to anyone, so one built from a configured server carries none of its secrets. */
    @Test
    void theInMemoryOsCarriesNoSecrets() throws Exception {
        Path dist = ServerProcess.install(DISTRIBUTION, tmp.resolve("configured"));
        Files.writeString(dist.resolve("conf/ironbell.properties"), "api.token = SECRET-admin-token-0123456789\n"
                + "storage.password = SECRET-db-password\nworker.token = SECRET-worker-token\nworker.pollMillis = 500\n",
                java.nio.file.StandardOpenOption.APPEND);
        Path out = tmp.resolve("osie");
        ProcessBuilder build = new ProcessBuilder("sh", OSIE_BUILD, dist.toString(), out.toString()).redirectErrorStream(true);
        build.environment().put("JAVA_HOME", System.getProperty("java.home"));
        io.ironbell.testing.Sh.Result built = io.ironbell.testing.Sh.run(build, Duration.ofMinutes(5));
        assertEquals(0, built.status(), built.output());
        Path unpacked = Files.createDirectories(tmp.resolve("initramfs"));
        io.ironbell.testing.Sh.sh("cd " + unpacked + " && zcat " + out.resolve("initramfs") + " | cpio -id --quiet");
        String conf = Files.readString(unpacked.resolve("opt/ironbell/conf/ironbell.properties"));
        assertTrue(conf.contains("worker.pollMillis = 500"), "the worker's own settings go along: " + conf);
        String found = io.ironbell.testing.Sh.sh("grep -rl SECRET- " + unpacked + " || true");
        assertEquals("", found.trim(), "files in the in-memory OS that carry a secret");
    }
}
