package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
import io.ironbell.testing.Podman;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ironbell assemble} from the built distribution, offline: a set of bundles that does not
 * resolve is refused before anything is written, naming the bundle and what it lacks; a
 * metadata-only edition and a TFTP-only appliance (no database at all) are assembled, branded,
 * started, and answer on their own routes and ports only.
 */
class AssembleIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));

    @TempDir
    Path tmp;

    private static Sh.Result assemble(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(DISTRIBUTION.resolve("bin/ironbell").toString(), "assemble"));
        command.addAll(List.of(args));
        Sh.Result r = Sh.run(new ProcessBuilder(command), Duration.ofMinutes(2));
        assertFalse(r.overran(), "ironbell assemble finished in 2 minutes: " + r.output() + r.errors());
        return r;
    }

    @Test
    void aSetThatDoesNotResolveIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path api;
        try (Stream<Path> s = Files.list(DISTRIBUTION.resolve("bundle"))) {
            api = s.filter(p -> p.getFileName().toString().startsWith("bundle-restapi-")).findFirst().orElseThrow();
        }
        Path out = tmp.resolve("api-without-store");
        Sh.Result r = assemble("--features", "core", "--bundle", api.toString(), "--out", out.toString());
        assertEquals(65, r.status(), r.output() + r.errors());
        String err = r.output() + r.errors();
        assertTrue(err.contains("refused, nothing written") && err.contains("missing: io.ironbell.restapi")
                && err.contains("osgi.service (objectClass=io.ironbell.api.hardware.HardwareStore)"), err);
        assertFalse(Files.exists(out) || Files.exists(tmp.resolve("api-without-store.partial")), "nothing was written");

        Sh.Result noWorker = assemble("--features", "core", "--worker-plugin", System.getProperty("ironbell.exampleActionJar"), "--out",
                out.toString());
        assertEquals(65, noWorker.status());
        assertTrue((noWorker.output() + noWorker.errors()).contains("--worker-plugin needs the worker"), noWorker.errors());
        assertFalse(Files.exists(out), "nothing was written");

        Sh.Result unknown = assemble("--features", "core,teleport", "--out", out.toString());
        assertEquals(65, unknown.status());
        assertTrue((unknown.output() + unknown.errors()).contains("no feature teleport (features: api, bmc, cli, core,"), unknown.errors());
    }

    @Test
    void aMetadataOnlyEditionServesMetadataAndNothingElse() throws Exception {
        Path edition = tmp.resolve("acme-metadata");
        long t0 = System.nanoTime();
        Sh.Result r = assemble("--features", "metadata", "--name", "Acme Metadata", "--banner", "metadata for rack 9", "--osie", "none",
                "--out", edition.toString());
        long assembleMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.status(), r.output() + r.errors());
        String manifest = Files.readString(edition.resolve("edition.properties"));
        assertTrue(manifest.contains("edition.features = core, store, metadata") && manifest.contains("io.ironbell.metadata ")
                && manifest.contains("io.ironbell.store ") && manifest.contains("sha256:"), manifest);
        for (String absent : List.of("io.ironbell.restapi", "io.ironbell.dhcp", "io.ironbell.tftp", "io.ironbell.ipxe", "io.ironbell.engine")) {
            assertFalse(manifest.contains(absent + " "), absent + " is not in the edition: " + manifest);
        }
        assertFalse(Files.exists(edition.resolve("data/artifacts/osie")), "--osie none: no in-memory OS");
        try (Stream<Path> console = Files.list(edition.resolve("bundle/console"))) {
            assertEquals(3, console.filter(p -> p.getFileName().toString().startsWith("org.apache.felix.gogo.")).count(),
                    "Gogo for server --console");
        }

        long t1 = System.nanoTime();
        int tftp = FreePort.find();
        int syslog = FreePort.find();
        int dhcp = FreePort.find();
        ServerProcess server = ServerProcess.startIn(edition, Map.of("IRONBELL_TFTP_PORT", Integer.toString(tftp), "IRONBELL_SYSLOG_PORT",
                Integer.toString(syslog), "IRONBELL_TFTP_ENABLED", "true", "IRONBELL_SYSLOG_ENABLED", "true", "IRONBELL_DHCP_PORT",
                Integer.toString(dhcp), "IRONBELL_DHCP_ENABLED", "true"));
        try {
            server.awaitHealthy(Duration.ofMinutes(2));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            long startMillis = (System.nanoTime() - t1) / 1_000_000;
            assertTrue(server.output().stream().anyMatch(l -> l.contains("Acme Metadata: metadata for rack 9")), "the banner at start");
            assertEquals(bundlesIn(edition), readyBundles(server), "/readyz lists exactly the edition's bundles");
            assertTrue(readyBundles(server).contains("io.ironbell.metadata") && !readyBundles(server).contains("io.ironbell.restapi"));
            assertEquals(200, Http.get(server.secureUrl("/healthz")).status(), "HTTPS answers");
            assertTrue(udpClosed(tftp) && udpClosed(syslog) && udpClosed(dhcp), "no TFTP, syslog or DHCP listener, even when their settings ask");
            Sh.Result cli = Sh.run(List.of(edition.resolve("bin/ironbell").toString(), "hardware", "list"), Duration.ofSeconds(30));
            assertEquals(64, cli.status(), "no CLI in an edition without the feature cli: " + cli.output() + cli.errors());
            assertTrue((cli.output() + cli.errors()).contains("this edition has no CLI"), cli.output() + cli.errors());
            Http.Response api = Http.get(server.url("/api/v1/hardware"));
            assertEquals(404, api.status(), api.body());
            assertTrue(api.body().contains("no route"), "no API in this edition: " + api.body());
            Http.Response md = Http.get(server.url("/latest/meta-data/hostname"));
            assertFalse(md.body().contains("no route"), "the metadata service answers (for an unknown address): " + md.status() + " " + md.body());
            Http.Response ipxe = Http.get(server.url("/ipxe/boot.ipxe"));
            assertTrue(ipxe.body().contains("no route"), "no iPXE in this edition: " + ipxe.body());
            System.out.println("AssembleIT: metadata edition assembled in " + assembleMillis + " ms (" + size(edition) + " MiB), ready in "
                    + startMillis + " ms");
        } finally {
            server.close();
        }
    }

    /**
     * A PXE proxy appliance beside the site's DHCP server: DHCP in proxy mode, TFTP and iPXE, no
     * API; it reads the machines that the site's central server (the full distribution, on the
     * same PostgreSQL) registered. A netboot client the central server knows gets boot options
     * and no address; an unknown one gets nothing; iPXE's binary comes over TFTP and its script
     * over HTTP; the API, the metadata service and syslog are closed.
     */
    @Test
    void aPxeProxyApplianceAnswersNetbootClientsBesideTheSitesDhcpServer() throws Exception {
        String db = TestPostgres.createDatabase();
        Map<String, String> storage = Map.of("IRONBELL_STORAGE_JDBC_URL", db, "IRONBELL_STORAGE_USER", "ironbell");
        String mac = "52:54:00:16:0a:01";
        ServerProcess central = ServerProcess.start(DISTRIBUTION, tmp.resolve("central"), storage);
        try {
            central.awaitHealthy(Duration.ofMinutes(2));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(central.url("/readyz")).status() == 200 ? true : null);
            String token = Files.readString(tmp.resolve("central/data/api-token")).trim();
            Http.Response pushed = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(central.secureUrl("/api/v1/hardware")))
                    .header("Authorization", "Bearer " + token)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\":\"rack9-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                            + mac + "\",\"hostname\":\"rack9-1\",\"ip\":{\"address\":\"10.216.0.10\",\"netmask\":\"255.255.255.0\"}},"
                            + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}"))
                    .build());
            assertEquals(201, pushed.status(), pushed.body());
            // a workflow waits for the machine: that is what makes iPXE boot it into the in-memory OS
            String template = "version: \"0.1\"\nname: rack9\nglobal_timeout: 600\ntasks:\n  - name: t\n    worker: \"{{.device_1}}\"\n"
                    + "    actions:\n      - name: hostname\n        image: quay.io/tinkerbell-actions/writefile:v1.0.0\n        timeout: 60\n";
            for (String[] call : new String[][] {{"/api/v1/templates?name=rack9", template},
                {"/api/v1/workflows", "{\"template\":\"rack9\",\"hardware\":{\"device_1\":\"" + mac + "\"}}"}}) {
                Http.Response made = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(central.secureUrl(call[0])))
                        .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.ofString(call[1])).build());
                assertEquals(201, made.status(), call[0] + ": " + made.body());
            }
        } finally {
            central.close();
        }

        Path edition = tmp.resolve("pxe-proxy");
        long t0 = System.nanoTime();
        Sh.Result r = assemble("--features", "dhcp,tftp,ipxe", "--name", "Acme PXE Proxy", "--banner", "beside the site's DHCP server",
                "--osie", "lean", "--set", "dhcp.mode=proxy", "--set", "dhcp.listen=127.0.0.1", "--set", "server.address=127.0.0.1",
                "--out", edition.toString());
        long assembleMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.status(), r.output() + r.errors());
        int dhcp = FreePort.find();
        int proxy = FreePort.find();
        int tftp = FreePort.find();
        int syslog = FreePort.find();
        Map<String, String> env = new java.util.HashMap<>(storage);
        env.putAll(Map.of("IRONBELL_DHCP_PORT", Integer.toString(dhcp), "IRONBELL_DHCP_PROXY_PORT", Integer.toString(proxy),
                "IRONBELL_TFTP_PORT", Integer.toString(tftp), "IRONBELL_SYSLOG_PORT", Integer.toString(syslog), "IRONBELL_SYSLOG_ENABLED", "true"));
        long t1 = System.nanoTime();
        ServerProcess appliance = ServerProcess.startIn(edition, env);
        try {
            appliance.awaitHealthy(Duration.ofMinutes(2));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(appliance.url("/readyz")).status() == 200 ? true : null);
            long startMillis = (System.nanoTime() - t1) / 1_000_000;
            assertEquals(bundlesIn(edition), readyBundles(appliance), "/readyz lists exactly the edition's bundles");
            for (String bsn : List.of("io.ironbell.dhcp", "io.ironbell.tftp", "io.ironbell.ipxe", "io.ironbell.store")) {
                assertTrue(readyBundles(appliance).contains(bsn), bsn);
            }
            for (String absent : List.of("io.ironbell.restapi", "io.ironbell.engine", "io.ironbell.metadata", "io.ironbell.syslog")) {
                assertFalse(readyBundles(appliance).contains(absent), absent);
            }

            // a PXE client's request to the boot-server port: boot options, no address
            byte[] ack = pxeRequest(proxy, mac);
            assertTrue(ack != null, "the known netboot client is answered on the boot-server port");
            assertEquals(2, ack[0], "a BOOTREPLY");
            assertEquals(5, messageType(ack), "an ACK");
            assertArrayEquals(new byte[4], java.util.Arrays.copyOfRange(ack, 16, 20), "proxy mode gives no address (yiaddr 0.0.0.0)");
            String file = new String(ack, 108, 128, java.nio.charset.StandardCharsets.US_ASCII).replace("\0", "");
            assertFalse(file.isEmpty(), "a boot file");
            assertEquals(null, pxeRequest(proxy, "52:54:00:16:0a:99"), "an unknown machine gets no answer");

            Path got = tmp.resolve("undionly.kpxe");
            Sh.Result fetched = Sh.run(new ProcessBuilder("tftp", "-m", "binary", "127.0.0.1", Integer.toString(tftp), "-c", "get", "undionly.kpxe",
                    got.toString()), Duration.ofSeconds(60));
            assertEquals(0, fetched.status(), fetched.output());
            assertEquals(Files.size(Path.of("/usr/lib/ipxe/undionly.kpxe")), Files.size(got), "iPXE over TFTP");
            Http.Response script = Http.get(appliance.url("/ipxe/" + mac + "/auto.ipxe"));
            assertEquals(200, script.status(), script.body());
            assertTrue(script.body().startsWith("#!ipxe") && script.body().contains("osie/vmlinuz"), script.body());

            Http.Response api = Http.get(appliance.secureUrl("/api/v1/hardware"));
            assertTrue(api.status() == 404 && api.body().contains("no route"), "no API: " + api.status() + " " + api.body());
            assertTrue(Http.get(appliance.url("/latest/meta-data/hostname")).body().contains("no route"), "no metadata service");
            assertTrue(udpClosed(syslog), "no syslog listener");
            System.out.println("AssembleIT: PXE proxy appliance assembled in " + assembleMillis + " ms (" + size(edition) + " MiB), ready in "
                    + startMillis + " ms");
        } finally {
            appliance.close();
        }
    }

    @Test
    void aTftpApplianceRunsWithoutADatabase() throws Exception {
        Path edition = tmp.resolve("tftp-appliance");
        int port = FreePort.find();
        Sh.Result r = assemble("--features", "tftp", "--name", "Acme TFTP", "--osie", "none", "--set", "tftp.port=" + port,
                "--out", edition.toString());
        assertEquals(0, r.status(), r.output() + r.errors());
        long t1 = System.nanoTime();
        ServerProcess server = ServerProcess.startIn(edition, Map.of());
        try {
            server.awaitHealthy(Duration.ofMinutes(2));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            long startMillis = (System.nanoTime() - t1) / 1_000_000;
            assertFalse(Files.exists(edition.resolve("data/postgres")), "no embedded database in an edition without the store");
            Path got = tmp.resolve("ipxe.efi");
            Sh.Result tftp = Sh.run(new ProcessBuilder("tftp", "-m", "binary", "127.0.0.1", Integer.toString(port), "-c", "get", "ipxe.efi",
                    got.toString()), Duration.ofSeconds(60));
            assertEquals(0, tftp.status(), tftp.output());
            assertEquals(Files.size(Path.of("/usr/lib/ipxe/ipxe.efi")), Files.size(got), "the TFTP client got ipxe.efi");
            assertTrue(Http.get(server.url("/latest/meta-data/hostname")).body().contains("no route"), "no metadata service here");
            System.out.println("AssembleIT: TFTP appliance (" + size(edition) + " MiB) ready in " + startMillis + " ms, without a database");
        } finally {
            server.close();
        }
    }

    @Test
    void aVendorEditionCarriesItsPluginIntoTheInMemoryOsAndShipsAsATarball() throws Exception {
        Path hello = Path.of(System.getProperty("ironbell.exampleActionJar"));
        Path edition = tmp.resolve("acme-edition");
        Path tarball = tmp.resolve("acme-edition.tar.gz");
        long t0 = System.nanoTime();
        Sh.Result r = assemble("--features", "full", "--worker-plugin", hello.toString(), "--name", "Acme Edition", "--banner",
                "provisioned by Acme", "--osie", "lean", "--tarball", tarball.toString(), "--out", edition.toString());
        long assembleMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.status(), r.output() + r.errors());
        String manifest = Files.readString(edition.resolve("edition.properties"));
        assertTrue(manifest.contains("worker.plugin.1 = " + hello.getFileName() + " com.example.ironbell.hello "), manifest);
        assertTrue(Files.exists(edition.resolve("worker/deploy").resolve(hello.getFileName())), "in the edition's worker/deploy");
        assertTrue(Files.readString(edition.resolve("conf/ironbell.properties")).contains("edition.name = Acme Edition"));

        // the initramfs is the distribution's with a second archive appended: GNU cpio lists the plugin in it
        Path original = DISTRIBUTION.resolve("data/artifacts/osie/initramfs");
        Path initramfs = edition.resolve("data/artifacts/osie/initramfs");
        long before = Files.size(original);
        assertTrue(Files.size(initramfs) > before, "an archive was appended");
        byte[] tail = java.util.Arrays.copyOfRange(Files.readAllBytes(initramfs), (int) before, (int) Files.size(initramfs));
        Path overlay = Files.write(tmp.resolve("overlay.cpio.gz"), tail);
        Sh.Result listed = Sh.run(List.of("sh", "-c", "zcat " + overlay + " | cpio -t"), Duration.ofSeconds(30));
        assertEquals(0, listed.status(), listed.output());
        assertTrue(listed.output().contains("opt/ironbell/worker/deploy/" + hello.getFileName()), listed.output());

        // the tarball: one directory, the launcher script still executable
        Sh.Result tar = Sh.run(List.of("tar", "-tzvf", tarball.toString()), Duration.ofSeconds(60));
        assertEquals(0, tar.status(), tar.output());
        assertTrue(tar.output().lines().anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith("acme-edition/bin/ironbell")), "bin/ironbell in it");
        assertTrue(tar.output().contains("acme-edition/edition.properties"));
        System.out.println("AssembleIT: vendor edition (full, a worker plugin, lean in-memory OS) assembled with its tarball in "
                + assembleMillis + " ms: " + size(edition) + " MiB unpacked, " + (Files.size(tarball) >> 20) + " MiB tarball");
    }

    /**
     * The edition as an OCI image, written without a container engine: skopeo reads the archive,
     * Podman loads and runs it (as user 1000, its state in a volume), /readyz lists the edition's
     * bundles, and a second container on the same volume finds the state the first one made.
     */
    @Test
    void anOciImageOfAnEditionRunsUnderPodmanWithItsStateInAVolume() throws Exception {
        String id = Long.toString(ProcessHandle.current().pid() % 100000, 36);
        Path edition = tmp.resolve("acme-oci");
        Path image = tmp.resolve("acme-oci.tar");
        String tag = "acme/metadata-" + id + ":1.0";
        long t0 = System.nanoTime();
        Sh.Result r = assemble("--features", "metadata", "--name", "Acme Metadata", "--osie", "none", "--out", edition.toString(),
                "--oci", image.toString(), "--oci-tag", tag);
        long assembleMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.status(), r.output() + r.errors());
        Sh.Result config = Sh.run(List.of("skopeo", "inspect", "--config", "oci-archive:" + image), Duration.ofMinutes(1));
        assertEquals(0, config.status(), config.output() + config.errors());
        assertTrue(config.output().contains("\"User\": \"1000:1000\"") && config.output().contains("/opt/acme-metadata/bin/ironbell")
                && config.output().contains("\"org.opencontainers.image.title\": \"Acme Metadata\""), config.output());

        Path podman = Podman.configure(tmp.resolve("podman"), null);
        String name = "ironbell-oci-" + id;
        try {
            long t1 = System.nanoTime();
            Sh.Result loaded = podman(podman, "load", "-i", image.toString());
            long loadMillis = (System.nanoTime() - t1) / 1_000_000;
            assertEquals(0, loaded.status(), loaded.output() + loaded.errors());
            assertTrue(loaded.output().contains("localhost/" + tag), loaded.output());
            String firstCa = null;
            long startMillis = 0;
            for (int run = 1; run <= 2; run++) {
                int port = FreePort.find();
                int tls = FreePort.find();
                long t2 = System.nanoTime();
                Sh.Result started = podman(podman, "run", "-d", "--name", name, "--network", "host", "-v", name + ":/var/lib/acme-metadata",
                        "-e", "IRONBELL_HTTP_PORT=" + port, "-e", "IRONBELL_HTTP_TLS_PORT=" + tls, "localhost/" + tag);
                assertEquals(0, started.status(), started.output() + started.errors());
                String url = "http://127.0.0.1:" + port;
                try {
                    Await.until("/readyz 200 from the container", Duration.ofMinutes(3), () -> Http.get(url + "/readyz").status() == 200 ? true : null);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n" + podman(podman, "logs", name).output(), e);
                }
                startMillis = (System.nanoTime() - t2) / 1_000_000;
                com.fasterxml.jackson.databind.JsonNode ready = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Http.get(url + "/readyz").body());
                java.util.Set<String> bundles = new java.util.TreeSet<>();
                ready.get("bundles").forEach(b -> bundles.add(b.asText().split(" ")[0]));
                assertEquals(bundlesIn(edition), bundles, "/readyz in the container lists the edition's bundles");
                assertEquals("1000", podman(podman, "exec", name, "id", "-u").output().trim(), "the server runs as the image's user, not root");
                String ca = podman(podman, "exec", name, "cat", "/var/lib/acme-metadata/tls/ca.pem").output();
                assertTrue(ca.contains("BEGIN CERTIFICATE"), ca);
                if (firstCa == null) {
                    firstCa = ca;
                } else {
                    assertEquals(firstCa, ca, "the second container found the first one's state (its CA) in the volume");
                }
                assertEquals(0, podman(podman, "stop", "-t", "30", name).status());
                assertEquals(0, podman(podman, "rm", name).status());
            }
            System.out.println("AssembleIT: metadata edition as an OCI image (" + (Files.size(image) >> 20) + " MiB) assembled in "
                    + assembleMillis + " ms, loaded by Podman in " + loadMillis + " ms, ready " + startMillis + " ms after podman run");
        } finally {
            podman(podman, "rm", "-f", name);
            podman(podman, "volume", "rm", "-f", name);
            podman(podman, "rmi", "-f", "localhost/" + tag);
        }
    }

    private static Sh.Result podman(Path conf, String... args) throws Exception {
        Sh.Result r = Sh.run(Podman.command(conf, args), Duration.ofMinutes(3));
        assertFalse(r.overran(), "podman " + String.join(" ", args) + " finished in 3 minutes");
        return r;
    }

    /**
     * The edition as a Debian package, installed on this machine with dpkg (then purged): a system
     * user, the unit that systemd-analyze verifies, the server running as that user with its state
     * under /var/lib, and an upgrade that keeps the state and the operator's configuration.
     */
    @Test
    void aDebianPackageInstallsRunsAndUpgradesKeepingItsState() throws Exception {
        String id = Long.toString(ProcessHandle.current().pid() % 100000, 36);
        String pkg = "ironbell-test-" + id;
        Path v1 = tmp.resolve("v1.deb");
        Path v2 = tmp.resolve("v2.deb");
        long t0 = System.nanoTime();
        assertEquals(0, assemble("--features", "metadata", "--name", "Ironbell Test " + id, "--osie", "none", "--out", tmp.resolve("v1").toString(),
                "--deb", v1.toString(), "--deb-version", "1.0.0").status());
        long assembleMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, assemble("--features", "metadata", "--name", "Ironbell Test " + id, "--osie", "none", "--out", tmp.resolve("v2").toString(),
                "--deb", v2.toString(), "--deb-version", "1.0.1").status());
        Sh.Result info = Sh.run(List.of("dpkg-deb", "--info", v1.toString()), Duration.ofSeconds(30));
        assertTrue(info.output().contains("Package: " + pkg) && info.output().contains("Version: 1.0.0") && info.output().contains("conffiles"),
                info.output());
        Path home = Path.of("/opt", pkg);
        Path state = Path.of("/var/lib", pkg);
        try {
            Sh.Result installed = Sh.run(List.of("dpkg", "-i", v1.toString()), Duration.ofMinutes(2));
            assertEquals(0, installed.status(), installed.output());
            assertEquals(0, Sh.run(List.of("id", pkg), Duration.ofSeconds(10)).status(), "the system user exists");
            Sh.Result verify = Sh.run(List.of("systemd-analyze", "verify", "/lib/systemd/system/" + pkg + ".service"), Duration.ofSeconds(60));
            assertEquals(0, verify.status(), verify.output());

            ServerProcess server = ServerProcess.startWrappedIn(home, Map.of(), List.of("runuser", "-u", pkg, "--"), "127.0.0.1");
            try {
                server.awaitHealthy(Duration.ofMinutes(2));
                Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            } finally {
                server.close();
            }
            assertTrue(Files.isDirectory(state.resolve("postgres")) && Files.exists(state.resolve("tls/ca.pem")), "the state is under /var/lib");
            assertEquals(pkg, Files.getOwner(state.resolve("postgres")).getName(), "owned by the package's user");

            Files.writeString(state.resolve("operator-note"), "kept\n");
            Path conf = Path.of("/etc", pkg, "ironbell.properties");
            Files.writeString(conf, Files.readString(conf) + "\n# edited by the operator\nlog.level = DEBUG\n");
            Sh.Result upgraded = Sh.run(List.of("dpkg", "-i", "--force-confold", v2.toString()), Duration.ofMinutes(2));
            assertEquals(0, upgraded.status(), upgraded.output());
            assertTrue(Sh.run(List.of("dpkg-query", "-W", "-f", "${Version}", pkg), Duration.ofSeconds(10)).output().contains("1.0.1"));
            assertEquals("kept\n", Files.readString(state.resolve("operator-note")), "the state survived the upgrade");
            assertTrue(Files.isDirectory(state.resolve("postgres")), "the database survived the upgrade");
            assertTrue(Files.readString(conf).contains("# edited by the operator"), "the operator's configuration survived the upgrade");
        } finally {
            Sh.Result purged = Sh.run(List.of("dpkg", "--purge", pkg), Duration.ofMinutes(2));
            assertEquals(0, purged.status(), purged.output());
        }
        assertFalse(Files.exists(home) || Files.exists(state), "purge removed the package and its state");
        assertTrue(Sh.run(List.of("id", pkg), Duration.ofSeconds(10)).status() != 0, "purge removed the user");
        System.out.println("AssembleIT: metadata edition as a .deb (" + (Files.size(v1) >> 20) + " MiB) assembled in " + assembleMillis + " ms");
    }

    /** The symbolic names the edition's manifest lists as the server's bundles. */
    static java.util.Set<String> bundlesIn(Path edition) throws IOException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String line : Files.readAllLines(edition.resolve("edition.properties"))) {
            if (line.startsWith("bundle.")) {
                out.add(line.split("\\s+")[3]);
            }
        }
        return out;
    }

    /** The symbolic names {@code /readyz} lists. */
    static java.util.Set<String> readyBundles(ServerProcess server) throws IOException {
        com.fasterxml.jackson.databind.JsonNode ready = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Http.get(server.url("/readyz")).body());
        java.util.Set<String> out = new java.util.TreeSet<>();
        ready.get("bundles").forEach(b -> out.add(b.asText().split(" ")[0]));
        return out;
    }

    /** True when nothing listens on the UDP port of this host: a datagram to it comes back as ICMP port unreachable. */
    static boolean udpClosed(int port) throws IOException {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout(2000);
            socket.send(new java.net.DatagramPacket(new byte[] {0, 1}, 2));
            socket.receive(new java.net.DatagramPacket(new byte[1500], 1500));
            return false;
        } catch (java.net.PortUnreachableException closed) {
            return true;
        } catch (java.net.SocketTimeoutException silent) {
            return false;
        }
    }

    /** A PXE client's DHCPREQUEST to the boot-server port; the reply, or null after 2 s. */
    private static byte[] pxeRequest(int port, String mac) throws IOException {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            socket.setSoTimeout(2000);
            byte[] request = DhcpPackets.request(DhcpPackets.REQUEST, 0x1609, mac, java.net.InetAddress.getByName("127.0.0.1"), null,
                    DhcpPackets.pxeClient());
            socket.send(new java.net.DatagramPacket(request, request.length, new java.net.InetSocketAddress("127.0.0.1", port)));
            java.net.DatagramPacket reply = new java.net.DatagramPacket(new byte[1500], 1500);
            socket.receive(reply);
            return java.util.Arrays.copyOf(reply.getData(), reply.getLength());
        } catch (java.net.SocketTimeoutException none) {
            return null;
        }
    }

    /** Option 53 of a DHCP message. */
    private static int messageType(byte[] m) {
        for (int i = 240; i + 1 < m.length && (m[i] & 0xff) != 255;) {
            int code = m[i] & 0xff;
            if (code == 0) {
                i++;
                continue;
            }
            if (code == 53) {
                return m[i + 2];
            }
            i += 2 + (m[i + 1] & 0xff);
        }
        return -1;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum() >> 20;
        }
    }
}
