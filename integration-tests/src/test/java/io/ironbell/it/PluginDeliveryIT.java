package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.RegistryProcess;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vendor's action plugin reaches a running worker with one {@code ironbell plugin push}: the
 * worker (the real one, on this host) has no plugin for the image; the plugin is pushed to the
 * server after the worker started; a workflow created then pins it, and the worker fetches it by
 * digest, installs it into its Felix container and runs the action. A second version pushed later
 * changes only the workflows created after it; a bundle altered after its push is refused.
 */
class PluginDeliveryIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final Path HELLO_JAR = Path.of(System.getProperty("ironbell.exampleActionJar"));
    private static final String MAC = "52:54:00:00:7f:31";
    private static final String IMAGE = "ghcr.io/acme/hello:1.0";

    @TempDir
    static Path tmp;
    private static ServerProcess server;
    private static ServerProcess worker;
    /** A real OCI registry on loopback, where plugins are published as artifacts. */
    private static RegistryProcess registry;
    private static Path home;
    private static String token;
    private static int templates;
    /** The vendor's signing key: the server takes plugins signed by it only. */
    private static java.security.KeyPair vendor;

    @BeforeAll
    static void start() throws Exception {
        home = tmp.resolve("home");
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        vendor = ec.generateKeyPair();
        Path key = Files.writeString(tmp.resolve("vendor.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(vendor.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        server = ServerProcess.start(DISTRIBUTION, home, Map.of("IRONBELL_STORAGE_PLUGINS_TRUSTED_KEYS", key.toString()));
        server.awaitHealthy(Duration.ofMinutes(2));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
        assertEquals(201, api("POST", "/hardware", "{\"id\":\"plugin-it\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC
                + "\",\"ip\":{\"address\":\"127.0.0.1\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
        registry = RegistryProcess.start(tmp.resolve("registry"), "127.0.0.1", io.ironbell.testing.FreePort.find(), "", java.util.List.of());
        Path tokenFile = Files.writeString(tmp.resolve("worker-token"), token + "\n");
        worker = ServerProcess.startWorker(home, server.secureUrl(""), MAC, Map.of(), "--ca", server.caFile().toString(), "--token-file",
                tokenFile.toString(), "-Dworker.pollMillis=200",
                "-Dworker.insecureRegistries=" + registry.address());
        Await.until("the worker to run", Duration.ofSeconds(60), () -> worker.output().stream()
                .anyMatch(l -> l.contains("takes its actions from")) ? true : null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (server != null) {
            server.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /**
     * A vendor with only the distribution: in an empty directory, with an empty local Maven
     * repository (Maven Central and the distribution's sdk/repository the only sources), makes a
     * project from the SDK's template, builds and unit-tests it, pushes the jar, and a worker runs it.
     */
    @Test
    void aPluginBuiltWithTheSdkOutsideTheSourceTreeRunsOnTheWorker() throws Exception {
        Path vendorDir = Files.createDirectories(tmp.resolve("vendor"));
        Sh.Result made = Sh.run(new ProcessBuilder(home.resolve("bin/ironbell").toString(), "plugin", "new", "raid", "--group", "com.acme",
                "--type", "raid-config").directory(vendorDir.toFile()).redirectErrorStream(true), Duration.ofMinutes(1));
        assertEquals(0, made.status(), made.output());
        Path project = vendorDir.resolve("raid");
        assertTrue(Files.readString(project.resolve("pom.xml")).contains("<ironbell.sdk>" + home.resolve("sdk") + "</ironbell.sdk>"), "the pom names the distribution's SDK");
        Path emptyRepository = Files.createDirectories(tmp.resolve("empty-m2"));
        ProcessBuilder mvn = new ProcessBuilder("timeout", "900", "mvn", "-B", "-Dmaven.repo.local=" + emptyRepository, "package")
                .directory(project.toFile()).redirectErrorStream(true);
        mvn.environment().remove("MAVEN_OPTS");
        mvn.environment().remove("MAVEN_ARGS");
        long t0 = System.nanoTime();
        Sh.Result built = Sh.run(mvn, Duration.ofMinutes(16));
        long buildMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, built.status(), built.output());
        assertTrue(built.output().contains("Tests run: 2, Failures: 0, Errors: 0"), "the template's unit tests ran: " + built.output());
        assertTrue(Files.exists(emptyRepository.resolve("io/ironbell/framework-api")) && Files.readString(emptyRepository.resolve(
                "io/ironbell/framework-api/0.1.0-SNAPSHOT/_remote.repositories")).contains("ironbell-sdk"),
                "framework-api came from the SDK's repository");
        Path jar = project.resolve("target/raid-config-1.0.0.jar");
        Sh.Result pushed = push(jar);
        assertEquals(0, pushed.status(), pushed.output() + pushed.errors());
        assertTrue(pushed.output().contains("pushed com.acme.raid-config 1.0.0") && pushed.output().contains("types raid-config"), pushed.output());
        JsonNode ran = awaitEnd(workflow("ghcr.io/acme/raid-config:1.0.0", "TARGET: /dev/sdz"), Duration.ofSeconds(90));
        assertEquals("SUCCESS", ran.get("state").asText(), ran.toPrettyString() + "\n" + String.join("\n", worker.output()));
        assertEquals("raid-config done on /dev/sdz", ran.get("actions").get(0).get("message").asText());
        System.out.println("PluginDeliveryIT: a plugin project from the SDK built with an empty local repository in " + buildMillis + " ms");
    }

    @Test
    void aPluginPublishedAsAnOciArtifactIsPulledCheckedAndRunByTheWorker() throws Exception {
        // unsigned, while the server trusts the vendor's key only: refused, with the reason, and never installed
        Path unsigned = withVersion(HELLO_JAR, tmp.resolve("hello-unsigned.jar"), "9.8.1");
        String unsignedImage = registry.address() + "/acme/hello-unsigned:1.0";
        Sh.Result published = server.cli(Map.of(), "plugin", "publish", unsigned.toString(), unsignedImage, "--plain-http");
        assertEquals(0, published.status(), published.output() + published.errors());
        JsonNode refused = awaitEnd(workflow(unsignedImage), Duration.ofSeconds(90));
        assertEquals("FAILED", refused.get("state").asText(), refused.toString());
        String why = refused.get("actions").get(0).get("message").asText();
        assertTrue(why.contains("is not signed") && why.contains("refused"), why);

        // signed, but its jar altered in the registry's storage after it was published: the digest says so
        Path altered = withVersion(HELLO_JAR, tmp.resolve("hello-altered.jar"), "9.8.2");
        String alteredImage = registry.address() + "/acme/hello-altered:1.0";
        assertEquals(0, server.cli(Map.of(), "plugin", "publish", altered.toString(), alteredImage, "--plain-http", "--signature",
                sign(altered).toString()).status());
        Path blob = registry.blobFile(io.ironbell.api.plugin.PluginArtifact.digest(Files.readAllBytes(altered)));
        Files.write(blob, Files.readAllBytes(withVersion(HELLO_JAR, tmp.resolve("evil-2.jar"), "9.8.2", "evil")));
        JsonNode tampered = awaitEnd(workflow(alteredImage), Duration.ofSeconds(90));
        assertEquals("FAILED", tampered.get("state").asText(), tampered.toString());
        why = tampered.get("actions").get(0).get("message").asText();
        assertTrue(why.contains("has digest") && why.contains("refused"), why);

        // signed by the vendor: the worker pulls it, checks digest and signature, installs it and runs the action
        Path good = withVersion(HELLO_JAR, tmp.resolve("hello-oci.jar"), "9.8.0");
        String image = registry.address() + "/acme/hello-oci:1.0";
        published = server.cli(Map.of(), "plugin", "publish", good.toString(), image, "--plain-http", "--signature", sign(good).toString());
        assertEquals(0, published.status(), published.output() + published.errors());
        assertTrue(published.output().contains("published hello-oci.jar") && published.output().contains(", signed"), published.output());
        // what another client reads from the registry: a manifest whose artifact type says it is a plugin
        Sh.Result raw = Sh.run(java.util.List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + image), Duration.ofSeconds(30));
        assertEquals(0, raw.status(), raw.output());
        assertTrue(raw.output().contains("\"artifactType\":\"" + io.ironbell.api.plugin.PluginArtifact.ARTIFACT_TYPE + "\""), raw.output());
        JsonNode ran = awaitEnd(workflow(image), Duration.ofSeconds(90));
        assertEquals("SUCCESS", ran.get("state").asText(), ran.toPrettyString() + "\n" + String.join("\n", worker.output()));
        assertTrue(ran.get("actions").get(0).get("message").asText().startsWith("greeted"), ran.toString());
        assertTrue(worker.output().stream().anyMatch(l -> l.contains("installed plugin com.example.ironbell.hello 9.8.0")
                && l.contains("from " + registry.address() + "/acme/hello-oci@sha256:") && l.contains("signed by sha256:")),
                String.join("\n", worker.output()));
        assertTrue(worker.output().stream().noneMatch(l -> l.contains("installed plugin com.example.ironbell.hello 9.8.1")
                || l.contains("installed plugin com.example.ironbell.hello 9.8.2")), "refused bundles were never installed");
    }

    @Test
    void aPluginPushedAfterTheBootRunsOnTheWorkerAndEachWorkflowKeepsTheVersionItPinned() throws Exception {
        // nothing claims the image yet: the container plugin takes it and finds no engine
        JsonNode before = awaitEnd(workflow(), Duration.ofSeconds(60));
        assertEquals("FAILED", before.get("state").asText(), before.toString());
        assertTrue(before.path("plugins").isEmpty() || before.path("plugins").size() == 0, "nothing pinned: " + before);

        // this server takes signed plugins only
        Sh.Result unsigned = server.cli(Map.of(), "plugin", "push", HELLO_JAR.toString());
        assertEquals(1, unsigned.status(), unsigned.output() + unsigned.errors());
        assertTrue(unsigned.errors().contains("signed plugins only"), unsigned.errors());
        Sh.Result pushed = push(HELLO_JAR);
        assertEquals(0, pushed.status(), pushed.output() + pushed.errors());
        assertTrue(pushed.output().contains("pushed com.example.ironbell.hello") && pushed.output().contains("sha256:")
                && pushed.output().contains("signed by sha256:"), pushed.output());
        Sh.Result again = push(HELLO_JAR);
        assertEquals(0, again.status(), "the same bytes again change nothing: " + again.errors());
        Sh.Result list = server.cli(Map.of(), "plugin", "list");
        assertTrue(list.output().contains("com.example.ironbell.hello") && list.output().contains("ghcr.io/acme/hello"), list.output());

        long t0 = System.nanoTime();
        String first = workflow();
        String v1 = pin(first);
        JsonNode ran = awaitEnd(first, Duration.ofSeconds(90));
        long fetched = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("SUCCESS", ran.get("state").asText(), ran.toPrettyString() + "\n" + String.join("\n", worker.output()));
        assertTrue(ran.get("actions").get(0).get("message").asText().startsWith("greeted"), ran.toString());
        assertTrue(worker.output().stream().anyMatch(l -> l.contains("installed plugin com.example.ironbell.hello") && l.contains(v1)),
                String.join("\n", worker.output()));
        Sh.Result used = server.cli(Map.of(), "plugin", "list", "-o", "json");
        assertTrue(used.output().contains("\"machines\"") && used.output().contains(MAC), "the list names the machines: " + used.output());

        // version 2 of the same plugin: only workflows created from now on run it
        Path v2jar = withVersion(HELLO_JAR, tmp.resolve("hello-2.jar"), "9.9.9");
        Sh.Result pushed2 = push(v2jar);
        assertEquals(0, pushed2.status(), pushed2.errors());
        String second = workflow();
        String v2 = pin(second);
        assertNotEquals(v1, v2);
        assertEquals(v1, pin(first), "a pushed version does not change a workflow created before it");
        JsonNode ran2 = awaitEnd(second, Duration.ofSeconds(90));
        assertEquals("SUCCESS", ran2.get("state").asText(), ran2.toPrettyString());
        assertTrue(ran2.get("actions").get(0).get("message").asText().length() > 0);
        assertTrue(worker.output().stream().anyMatch(l -> l.contains("installed plugin com.example.ironbell.hello 9.9.9")),
                String.join("\n", worker.output()));
        // the same pinned version again: already installed, nothing fetched
        long t1 = System.nanoTime();
        JsonNode ranAgain = awaitEnd(workflow(), Duration.ofSeconds(90));
        long installed = (System.nanoTime() - t1) / 1_000_000;
        assertEquals("SUCCESS", ranAgain.get("state").asText(), ranAgain.toString());
        System.out.println("PluginDeliveryIT: workflow created to its one action's SUCCESS: " + fetched + " ms with the plugin fetched and "
                + "installed at run time, " + installed + " ms with it installed (worker polls every 200 ms)");

        // a bundle altered after it was pushed (here: in the database) is refused by the worker, with the reason
        Path v3jar = withVersion(HELLO_JAR, tmp.resolve("hello-3.jar"), "9.9.10");
        assertEquals(0, push(v3jar).status());
        try (java.sql.Connection c = StorageIT.embedded(home);
             java.sql.PreparedStatement p = c.prepareStatement("UPDATE action_plugin SET content = ? WHERE version = '9.9.10'")) {
            p.setBytes(1, Files.readAllBytes(withVersion(HELLO_JAR, tmp.resolve("evil.jar"), "9.9.10", "evil")));
            assertEquals(1, p.executeUpdate());
        }
        String third = workflow();
        String v3 = pin(third);
        JsonNode tampered = awaitEnd(third, Duration.ofSeconds(90));
        assertEquals("FAILED", tampered.get("state").asText(), tampered.toString());
        String why = tampered.get("actions").get(0).get("message").asText();
        assertTrue(why.contains("not the pinned " + v3) && why.contains("refused"), why);
        assertTrue(worker.output().stream().noneMatch(l -> l.contains("installed plugin com.example.ironbell.hello 9.9.10")),
                "the altered bundle was never installed");

        // a version pushed again with other bytes is refused; what is not a plugin is refused with the reason
        Sh.Result conflict = push(withVersion(HELLO_JAR, tmp.resolve("hello-x.jar"), "9.9.9", "x"));
        assertEquals(6, conflict.status(), conflict.errors());
        assertTrue(conflict.errors().contains("a version never changes"), conflict.errors());
        Path notAPlugin = Files.write(tmp.resolve("empty.jar"), emptyJar());
        Sh.Result refused = push(notAPlugin);
        assertEquals(1, refused.status(), refused.errors());
        assertTrue(refused.errors().contains("Bundle-SymbolicName"), refused.errors());
    }

    /** {@code ironbell plugin push JAR --signature JAR.sig}, signed with the vendor's key as openssl dgst -sha256 -sign would. */
    private static Sh.Result push(Path jar) throws Exception {
        return server.cli(Map.of(), "plugin", "push", jar.toString(), "--signature", sign(jar).toString());
    }

    /** A detached signature of the jar by the vendor's key, as openssl dgst -sha256 -sign makes. */
    private static Path sign(Path jar) throws Exception {
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
        s.initSign(vendor.getPrivate());
        s.update(Files.readAllBytes(jar));
        return Files.write(tmp.resolve(jar.getFileName() + ".sig"), s.sign());
    }

    private static String pin(String workflow) {
        JsonNode w = json(api("GET", "/workflows/" + workflow, null));
        String digest = w.path("plugins").path(IMAGE).asText("");
        assertTrue(digest.startsWith("sha256:"), "the workflow pinned a plugin for " + IMAGE + ": " + w);
        return digest;
    }

    /** The jar with another Bundle-Version (and, with {@code salt}, other bytes besides). */
    static Path withVersion(Path jar, Path out, String version, String... salt) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest m = new Manifest(in.getManifest());
            m.getMainAttributes().putValue("Bundle-Version", version);
            if (salt.length > 0) {
                m.getMainAttributes().putValue("X-Salt", salt[0]);
            }
            try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), m)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
            }
        }
        return out;
    }

    private static byte[] emptyJar() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        new JarOutputStream(b, m).close();
        return b.toByteArray();
    }

    private static String workflow() throws IOException {
        return workflow(IMAGE);
    }

    private static String workflow(String image) throws IOException {
        return workflow(image, "NAME: \"rack 9\"");
    }

    private static String workflow(String image, String environment) throws IOException {
        String name = "plugin-it-" + (++templates);
        String yaml = "version: \"0.1\"\nname: " + name + "\nglobal_timeout: 600\ntasks:\n  - name: t\n    worker: \"{{.device_1}}\"\n"
                + "    actions:\n      - name: greet\n        image: " + image + "\n        timeout: 60\n"
                + "        environment: {" + environment + "}\n";
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
            throw new AssertionError(r.body(), e);
        }
    }
}
