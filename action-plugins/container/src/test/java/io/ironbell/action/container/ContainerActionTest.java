package io.ironbell.action.container;

import static io.ironbell.action.container.PodmanEngine.IMAGE;
import static io.ironbell.action.container.PodmanEngine.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.TestActionContext;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The container action against a real Docker-compatible engine ({@link PodmanEngine}) and, for
 * pull credentials, a real registry (Debian's docker-registry with htpasswd, on loopback).
 */
class ContainerActionTest {

    private static final String USER = "ironbell";
    private static final String PASSWORD = "s3cret-for-tests";

    private static String registry;
    private static PodmanEngine engine;
    private static Process registryProcess;

    @BeforeAll
    static void start() throws Exception {
        registry = "127.0.0.1:" + FreePort.find();
        engine = PodmanEngine.start(registry);
    }

    @AfterAll
    static void stop() throws Exception {
        if (registryProcess != null) {
            registryProcess.destroy();
            registryProcess.waitFor(10, TimeUnit.SECONDS);
        }
        if (engine != null) {
            engine.close();
        }
    }

    static ContainerAction plugin(String dockerHost) {
        return new ContainerAction(new ContainerAction.Config() {
            @Override
            public String dockerHost() {
                return dockerHost;
            }

            @Override
            public String workflowDir() {
                return engine == null ? "" : engine.dir.resolve("workflows").toString();
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

    @Test
    void environmentCommandAndVolumesReachTheContainerAndItsLinesTheLog() throws Exception {
        Path rw = Files.createDirectories(engine.dir.resolve("rw"));
        Path ro = Files.createDirectories(engine.dir.resolve("ro"));
        TestActionContext ctx = context(Map.of("GREETING", "hello from the template", "DEST_DISK", "/dev/sda"), "/bin/sh", "-c",
                "echo one; echo \"$GREETING\"; echo \"disk $DEST_DISK\"; echo written > /data/out.txt;"
                        + " touch /ro/x 2>/dev/null || echo read-only refused >&2; echo three");
        ctx.volumes = List.of(rw + ":/data", ro + ":/ro:ro");
        ActionResult r = plugin(engine.host).execute(ctx);
        assertTrue(r.message().matches("container " + IMAGE + " exited 0 after [0-9.]+ s"), r.message());
        // Podman may hand stderr's lines over out of step with stdout's; each stream keeps its order
        assertEquals(List.of("one", "hello from the template", "disk /dev/sda", "three"),
                ctx.lines.stream().filter(l -> !l.equals("read-only refused")).toList(), "stdout, in order");
        assertTrue(ctx.lines.contains("read-only refused"), "stderr too: " + ctx.lines);
        assertEquals(5, ctx.lines.size(), ctx.lines.toString());
        assertEquals("written\n", Files.readString(rw.resolve("out.txt")), "the bind is the host's directory");
        assertFalse(Files.exists(ro.resolve("x")), ":ro binds read-only");
        assertEquals(List.of(), engine.containers(), "the container was removed");

        TestActionContext defaults = context(Map.of());
        plugin(engine.host).execute(defaults);
        assertEquals(List.of("the image default"), defaults.lines, "no command: the image's own");
    }

    @Test
    void theActionsOfAWorkflowShareWorkflow() throws Exception {
        plugin(engine.host).execute(context(Map.of(), "/bin/sh", "-c", "echo from the first action > /workflow/handover"));
        TestActionContext second = context(Map.of(), "/bin/sh", "-c", "cat /workflow/handover");
        plugin(engine.host).execute(second);
        assertEquals(List.of("from the first action"), second.lines, "the second container read what the first wrote in /workflow");
        assertEquals("from the first action\n", Files.readString(engine.dir.resolve("workflows/wf-test/handover")), "on the worker's disk");
    }

    @Test
    void pidHostShowsTheHostsProcesses() throws Exception {
        TestActionContext own = context(Map.of(), "/bin/cat", "/proc/1/comm");
        plugin(engine.host).execute(own);
        assertEquals(List.of("cat"), own.lines, "a PID namespace of its own: the container's command is PID 1");
        TestActionContext shared = context(Map.of(), "/bin/cat", "/proc/1/comm");
        shared.pid = "host";
        plugin(engine.host).execute(shared);
        assertEquals(List.of(Files.readString(Path.of("/proc/1/comm")).trim()), shared.lines, "pid: host sees the host's PID 1");
    }

    @Test
    void aNonZeroExitFailsWithItsCodeAndLastLine() throws Exception {
        TestActionContext ctx = context(Map.of(), "/bin/sh", "-c", "echo working; echo giving up >&2; echo; exit 3");
        ActionException e = assertThrows(ActionException.class, () -> plugin(engine.host).execute(ctx));
        assertEquals(Reason.TARGET_FAILED, e.reason());
        assertEquals("container " + IMAGE + " exited 3; last line: giving up", e.getMessage());
        assertEquals(List.of(), engine.containers());
    }

    @Test
    void aContainerPastItsTimeoutIsKilledAndRemoved() throws Exception {
        TestActionContext ctx = context(Map.of(), "/bin/sh", "-c", "echo started; sleep 600");
        ctx.timeout = Duration.ofSeconds(3);
        long start = System.nanoTime();
        ActionException e = assertThrows(ActionException.class, () -> plugin(engine.host).execute(ctx));
        assertEquals(Reason.TIMEOUT, e.reason(), e.getMessage());
        assertEquals("container " + IMAGE + " ran past the action's timeout of 3 s; it was killed", e.getMessage());
        assertEquals(List.of("started"), ctx.lines);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "stopped promptly");
        assertEquals(List.of(), engine.containers(), "the container was removed");
    }

    @Test
    void aCancelledOrInterruptedActionKillsAndRemovesItsContainer() throws Exception {
        TestActionContext cancelled = context(Map.of(), "/bin/sh", "-c", "echo started; sleep 600");
        CompletableFuture<ActionResult> run = CompletableFuture.supplyAsync(() -> execute(cancelled));
        Await.until("the container's first line", Duration.ofSeconds(20), () -> cancelled.lines.isEmpty() ? null : true);
        cancelled.cancelled = true;
        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(20, TimeUnit.SECONDS));
        ActionException cause = (ActionException) e.getCause().getCause();
        assertEquals(Reason.CANCELLED, cause.reason());
        assertEquals("container " + IMAGE + " was cancelled; it was killed", cause.getMessage());
        assertEquals(List.of(), engine.containers(), "the container was removed");

        TestActionContext interrupted = context(Map.of(), "/bin/sh", "-c", "echo started; sleep 600");
        Throwable[] thrown = new Throwable[1];
        Thread worker = new Thread(() -> {
            try {
                plugin(engine.host).execute(interrupted);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        worker.start();
        Await.until("the container's first line", Duration.ofSeconds(20), () -> interrupted.lines.isEmpty() ? null : true);
        worker.interrupt();
        worker.join(20_000);
        assertFalse(worker.isAlive(), "the interrupted action returned");
        assertTrue(thrown[0] instanceof InterruptedException, String.valueOf(thrown[0]));
        assertEquals(List.of(), engine.containers(), "the container was removed although the thread was interrupted");
    }

    private static ActionResult execute(TestActionContext ctx) {
        try {
            return plugin(engine.host).execute(ctx);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void noEngineFailsClearly() throws Exception {
        ActionException missing = assertThrows(ActionException.class, () -> plugin("unix:///nonexistent/docker.sock").execute(context(Map.of())));
        assertEquals(Reason.UNAVAILABLE, missing.reason());
        assertTrue(missing.getMessage().startsWith("no Docker-compatible engine at unix:///nonexistent/docker.sock: ")
                && missing.getMessage().contains("; image " + IMAGE + " has no native plugin"), missing.getMessage());

        // a socket file nobody listens on any more: DOCKER_HOST wins over the configuration
        Path dead = engine.dir.resolve("dead.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(dead));
        }
        ActionException refused = assertThrows(ActionException.class, () -> plugin(engine.host).execute(
                context(Map.of("DOCKER_HOST", "unix://" + dead))));
        assertEquals(Reason.UNAVAILABLE, refused.reason());
        assertTrue(refused.getMessage().startsWith("no Docker-compatible engine at unix://" + dead + ": ")
                && refused.getMessage().toLowerCase().contains("refused"), refused.getMessage());

        ActionException bad = assertThrows(ActionException.class, () -> plugin(engine.host).execute(context(Map.of("DOCKER_HOST", "/var/run/docker.sock"))));
        assertEquals(Reason.INVALID_INPUT, bad.reason());
        assertEquals("DOCKER_HOST must be unix:///path/to.sock or tcp://host:port, was '/var/run/docker.sock'", bad.getMessage());
        IllegalArgumentException config = assertThrows(IllegalArgumentException.class, () -> plugin("docker.sock"));
        assertTrue(config.getMessage().startsWith("dockerHost of io.ironbell.action.container must be"), config.getMessage());
    }

    @Test
    void anImageThatCannotBePulledFailsClearly() throws Exception {
        TestActionContext missing = new TestActionContext("localhost:1/nope:1", Map.of());
        ActionException pull = assertThrows(ActionException.class, () -> plugin(engine.host).execute(missing));
        assertEquals(Reason.SOURCE_UNAVAILABLE, pull.reason());
        assertTrue(pull.getMessage().startsWith("cannot pull localhost:1/nope:1: ") && pull.getMessage().contains("connection refused"), pull.getMessage());
        assertEquals(List.of(), engine.containers());

        // a registry that takes the connection and never answers: the action's deadline bounds the pull
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String image = "127.0.0.1:" + silent.getLocalPort() + "/slow:1";
            TestActionContext slow = new TestActionContext(image, Map.of());
            slow.timeout = Duration.ofSeconds(3);
            long start = System.nanoTime();
            ActionException e = assertThrows(ActionException.class, () -> plugin(engine.host).execute(slow));
            assertEquals(Reason.TIMEOUT, e.reason(), e.getMessage());
            assertEquals("pulling " + image + " ran past the action's timeout of 3 s", e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "stopped promptly");
        }
    }

    @Test
    void registryCredentialsPullAndStayOutOfTheContainer() throws Exception {
        startRegistry();
        String image = registry + "/private/busybox:1";
        sh(engine.podman() + " push -q --tls-verify=false --creds " + USER + ":" + PASSWORD + " " + IMAGE + " " + image);

        TestActionContext anonymous = new TestActionContext(image, Map.of());
        ActionException denied = assertThrows(ActionException.class, () -> plugin(engine.host).execute(anonymous));
        assertEquals(Reason.SOURCE_UNAVAILABLE, denied.reason());
        assertTrue(denied.getMessage().startsWith("cannot pull " + image + ": ") && denied.getMessage().contains("unauthorized"), denied.getMessage());

        TestActionContext noPassword = new TestActionContext(image, Map.of("REGISTRY_USERNAME", USER));
        assertEquals("REGISTRY_PASSWORD is required with REGISTRY_USERNAME",
                assertThrows(ActionException.class, () -> plugin(engine.host).execute(noPassword)).getMessage());

        TestActionContext ctx = new TestActionContext(image, Map.of("REGISTRY_USERNAME", USER, "REGISTRY_PASSWORD", PASSWORD, "KEPT", "yes"));
        ctx.command = List.of("/bin/env");
        plugin(engine.host).execute(ctx);
        assertEquals("pulling " + image + " as " + USER, ctx.lines.get(0));
        assertTrue(ctx.lines.get(1).matches("pulled " + image + " in [0-9.]+ s"), ctx.lines.toString());
        assertTrue(ctx.lines.contains("KEPT=yes"), ctx.lines.toString());
        assertTrue(ctx.lines.stream().noneMatch(l -> l.startsWith("REGISTRY_")), "the credentials stay out of the container: " + ctx.lines);
    }

    private static void startRegistry() throws Exception {
        assertTrue(sh("command -v docker-registry htpasswd || echo missing").startsWith("/"), "apt-get install -y docker-registry apache2-utils");
        Path dir = Files.createDirectories(engine.dir.resolve("registry"));
        sh("htpasswd -Bbn " + USER + " " + PASSWORD + " > " + dir.resolve("htpasswd"));
        Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: %s
                auth:
                  htpasswd:
                    realm: ironbell-test
                    path: %s
                """.formatted(dir.resolve("data"), registry, dir.resolve("htpasswd")));
        registryProcess = new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile()).start();
        Await.until("the registry", Duration.ofSeconds(20), () -> {
            try {
                return sh("curl -s -o /dev/null -w '%{http_code}' http://" + registry + "/v2/ || true").equals("401") ? true : null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void imageNames() {
        assertEquals("quay.io", ContainerAction.registry("quay.io/tinkerbell/actions/cexec:v1"));
        assertEquals("127.0.0.1:5000", ContainerAction.registry("127.0.0.1:5000/a/b"));
        assertEquals("localhost", ContainerAction.registry("localhost/a"));
        assertEquals("https://index.docker.io/v1/", ContainerAction.registry("library/alpine:3"));
        assertEquals("https://index.docker.io/v1/", ContainerAction.registry("alpine"));
        assertTrue(ContainerAction.tagged("127.0.0.1:5000/a/b:1"));
        assertTrue(ContainerAction.tagged("alpine@sha256:0123"));
        assertFalse(ContainerAction.tagged("127.0.0.1:5000/a/b"));
    }
}
