package io.ironbell.action.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Podman;
import io.ironbell.testing.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Docker-compatible engine for tests: Podman's Docker API ({@code podman system service}
 * with runc and cgroupfs, as docs/TEST-ENVIRONMENT.md says), its configuration, storage, state
 * and socket all in one temporary directory, so that nothing of the machine's own Podman is
 * touched. It holds {@value #IMAGE}, made here from busybox-static with {@code podman import}
 * (no registry); its default command prints "the image default". Needs root, podman, runc and
 * busybox-static; fails, never skips, without them.
 */
final class PodmanEngine implements AutoCloseable {

    static final String IMAGE = "localhost/ironbell-test:1";

    final Path dir;
    /** The engine's address, {@code unix://…/docker.sock}. */
    final String host;
    private final Process process;

    /**
     * Starts an engine.
     *
     * @param insecureRegistry a {@code host:port} the engine may pull from over plain HTTP, or null
     */
    static PodmanEngine start(String insecureRegistry) throws Exception {
        assertEquals("0", sh("id -u"), "the container tests need root for podman");
        for (String tool : List.of("podman", "runc", "busybox")) {
            assertTrue(sh("command -v " + tool + " || echo missing").startsWith("/"), tool + " is missing: apt-get install -y podman runc busybox-static");
        }
        return new PodmanEngine(Files.createTempDirectory("podman-engine"), insecureRegistry);
    }

    private PodmanEngine(Path dir, String insecureRegistry) throws Exception {
        this.dir = dir;
        Podman.configure(dir, insecureRegistry);
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        sh("cp /bin/busybox " + rootfs + "/bin/busybox && for t in sh echo cat sleep env touch; do ln -s busybox " + rootfs + "/bin/$t; done"
                + " && mkdir -p " + rootfs + "/proc " + rootfs + "/data " + rootfs + "/ro " + rootfs + "/tmp"
                + " && tar -C " + rootfs + " -cf " + dir.resolve("rootfs.tar") + " .");
        sh(podman() + " import --change 'CMD [\"/bin/sh\", \"-c\", \"echo the image default\"]' " + dir.resolve("rootfs.tar") + " " + IMAGE);
        Path socket = dir.resolve("docker.sock");
        host = "unix://" + socket;
        process = new ProcessBuilder("bash", "-c", "exec env " + podman() + " system service --time=0 " + host).redirectErrorStream(true)
                .redirectOutput(dir.resolve("podman.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!sh("curl -s --max-time 2 --unix-socket " + socket + " http://d/_ping || true").equals("OK")) {
            assertTrue(process.isAlive() && System.nanoTime() < deadline, "podman's Docker API did not come up: " + Files.readString(dir.resolve("podman.log")));
            Thread.sleep(100);
        }
    }

    /** The podman command with this engine's configuration and storage. */
    String podman() {
        StringBuilder command = new StringBuilder();
        Podman.environment(dir).forEach((k, v) -> command.append(k).append('=').append(v).append(' '));
        return command.append("podman").toString();
    }

    /** The names of the containers the plugin made that still exist. */
    List<String> containers() throws Exception {
        return sh(podman() + " ps -a --format '{{.Names}}'").lines().filter(n -> n.startsWith("ironbell-")).toList();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        sh(podman() + " rm -af >/dev/null 2>&1; rm -rf " + dir + " || true");
    }

    static String sh(String script) throws Exception {
        return Sh.sh(script).trim();
    }
}
