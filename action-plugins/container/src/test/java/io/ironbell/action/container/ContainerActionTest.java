package io.ironbell.action.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.Sh;
import io.ironbell.testing.TestActionContext;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The container action against a real Docker-compatible engine: Podman's Docker API (podman
 * system service with runc, its storage in a temporary directory), and an image made here from
 * busybox-static with {@code podman import}, no registry. Needs root, podman, runc and
 * busybox-static (.ci/prepare installs them); fails, never skips, without them.
 */
class ContainerActionTest {

    static final String IMAGE = "localhost/ironbell-test:1";
    private static Path dir;
    private static Process engine;
    private static String host;

    @BeforeAll
    static void startEngine() throws Exception {
        assertEquals("0", sh("id -u").trim(), "ContainerActionTest needs root for podman");
        for (String tool : List.of("podman", "runc")) {
            assertTrue(sh("command -v " + tool + " || echo missing").startsWith("/"), tool + " is missing: run .ci/prepare");
        }
        dir = Files.createTempDirectory("container-action");
        Files.writeString(dir.resolve("containers.conf"), """
                [containers]
                default_ulimits = ["nofile=10000:10000", "nproc=1000:1000"]
                [engine]
                runtime = "runc"
                cgroup_manager = "cgroupfs"
                """);
        Files.writeString(dir.resolve("storage.conf"), "[storage]\ndriver = \"vfs\"\nrunroot = \"" + dir.resolve("run") + "\"\ngraphroot = \""
                + dir.resolve("graph") + "\"\n");
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        sh("cp /bin/busybox " + rootfs + "/busybox && for t in sh echo cat sleep env; do ln -s busybox " + rootfs + "/$t; done"
                + " && mkdir -p " + dir.resolve("rootfs/proc")
                + " && mkdir -p " + dir.resolve("rootfs/data") + " " + dir.resolve("rootfs/tmp")
                + " && tar -C " + dir.resolve("rootfs") + " -cf " + dir.resolve("rootfs.tar") + " .");
        sh(podman() + " import --change 'CMD [\"/bin/sh\", \"-c\", \"echo the image default\"]' " + dir.resolve("rootfs.tar") + " " + IMAGE);
        host = "unix://" + dir.resolve("docker.sock");
        engine = new ProcessBuilder("sh", "-c", podman() + " system service --time=0 " + host).redirectErrorStream(true)
                .redirectOutput(dir.resolve("podman.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!sh("curl -s --unix-socket " + dir.resolve("docker.sock") + " http://d/_ping || true").equals("OK")) {
            assertTrue(engine.isAlive() && System.nanoTime() < deadline, "podman's Docker API did not come up: " + Files.readString(dir.resolve("podman.log")));
            Thread.sleep(200);
        }
    }

    private static String podman() {
        return "CONTAINERS_CONF=" + dir.resolve("containers.conf") + " CONTAINERS_STORAGE_CONF=" + dir.resolve("storage.conf") + " podman";
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (engine != null) {
            engine.destroy();
            engine.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static ContainerAction plugin(String dockerHost) {
        return new ContainerAction(new ContainerAction.Config() {
            @Override
            public String dockerHost() {
                return dockerHost;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ContainerAction.Config.class;
            }
        });
    }

    private static TestActionContext context(Map<String, String> env, String... command) {
        TestActionContext ctx = new TestActionContext(IMAGE, env);
        ctx.command = List.of(command);
        return ctx;
    }

    private static long containers() throws Exception {
        return sh(podman() + " ps -a --format '{{.Names}}'").lines().filter(n -> n.startsWith("ironbell-")).count();
    }

    @Test
    void environmentCommandAndVolumesReachTheContainerAndItsLinesTheLog() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        TestActionContext ctx = context(Map.of("GREETING", "hello from the template"),
                "/bin/sh", "-c", "echo one; echo \"$GREETING\"; echo written > /data/out.txt; echo three");
        ctx.volumes = List.of(shared + ":/data");
        ActionResult r = plugin(host).execute(ctx);
        assertTrue(r.message().startsWith("container " + IMAGE + " exited 0 after"), r.message());
        assertEquals(List.of("one", "hello from the template", "three"), ctx.lines);
        assertEquals("written\n", Files.readString(shared.resolve("out.txt")));
        assertEquals(0, containers(), "the container was removed");

        TestActionContext defaults = context(Map.of());
        plugin(host).execute(defaults);
        assertEquals(List.of("the image default"), defaults.lines, "no command: the image's own");
    }

    @Test
    void pidHostShowsTheHostsProcesses() throws Exception {
        TestActionContext own = context(Map.of(), "/bin/cat", "/proc/1/comm");
        plugin(host).execute(own);
        assertEquals(List.of("cat"), own.lines, "a PID namespace of its own: the container's command is PID 1");
        TestActionContext shared = context(Map.of(), "/bin/cat", "/proc/1/comm");
        shared.pid = "host";
        plugin(host).execute(shared);
        assertEquals(List.of(Files.readString(Path.of("/proc/1/comm")).trim()), shared.lines, "pid: host sees the host's PID 1");
    }

    @Test
    void aNonZeroExitFailsWithItsCodeAndLastLine() throws Exception {
        TestActionContext ctx = context(Map.of(), "/bin/sh", "-c", "echo working; echo giving up; exit 3");
        ActionException e = assertThrows(ActionException.class, () -> plugin(host).execute(ctx));
        assertEquals(Reason.TARGET_FAILED, e.reason());
        assertTrue(e.getMessage().matches("container " + IMAGE + " exited 3 after [0-9.]+ s; last line: giving up"), e.getMessage());
        assertEquals(0, containers());
    }

    @Test
    void aContainerPastItsTimeoutIsKilledAndRemoved() throws Exception {
        TestActionContext ctx = context(Map.of(), "/bin/sh", "-c", "echo started; sleep 600");
        ctx.timeout = Duration.ofSeconds(3);
        long start = System.nanoTime();
        ActionException e = assertThrows(ActionException.class, () -> plugin(host).execute(ctx));
        assertEquals(Reason.TIMEOUT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("ran past the action's timeout of 3 s; it was killed"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "stopped promptly");
        assertEquals(0, containers(), "the container was removed");
    }

    @Test
    void noEngineOrNoImageFailsClearly() throws Exception {
        ActionException down = assertThrows(ActionException.class, () -> plugin("unix:///nonexistent/docker.sock").execute(context(Map.of())));
        assertEquals(Reason.UNAVAILABLE, down.reason());
        assertTrue(down.getMessage().startsWith("no Docker-compatible engine at unix:///nonexistent/docker.sock")
                && down.getMessage().contains("image " + IMAGE + " has no native plugin"), down.getMessage());
        ActionException fromEnv = assertThrows(ActionException.class, () -> plugin(host).execute(
                context(Map.of("DOCKER_HOST", "unix:///nonexistent/other.sock"))));
        assertTrue(fromEnv.getMessage().contains("unix:///nonexistent/other.sock"), "DOCKER_HOST wins: " + fromEnv.getMessage());

        TestActionContext missing = new TestActionContext("localhost:1/nope:1", Map.of());
        ActionException pull = assertThrows(ActionException.class, () -> plugin(host).execute(missing));
        assertEquals(Reason.SOURCE_UNAVAILABLE, pull.reason());
        assertTrue(pull.getMessage().startsWith("cannot pull localhost:1/nope:1"), pull.getMessage());
    }

    private static String sh(String script) throws Exception {
        return Sh.sh(script).trim();
    }
}
