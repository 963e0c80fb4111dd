package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
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

        Sh.Result unknown = assemble("--features", "core,teleport", "--out", out.toString());
        assertEquals(65, unknown.status());
        assertTrue((unknown.output() + unknown.errors()).contains("no feature teleport (features: api, core,"), unknown.errors());
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
        ServerProcess server = ServerProcess.startIn(edition, Map.of());
        try {
            server.awaitHealthy(Duration.ofMinutes(2));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            long startMillis = (System.nanoTime() - t1) / 1_000_000;
            assertTrue(server.output().stream().anyMatch(l -> l.contains("Acme Metadata: metadata for rack 9")), "the banner at start");
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

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum() >> 20;
        }
    }
}
