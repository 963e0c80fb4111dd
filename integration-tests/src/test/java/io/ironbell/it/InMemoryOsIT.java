package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The distribution's in-memory OS booted directly by QEMU (TCG), for the paths the end-to-end
 * test does not take: a static address from {@code ip=} on the kernel command line, and a
 * failure that leaves the operator a shell saying why. Needs root, iproute2 and
 * qemu-system-x86 (.ci/prepare installs them); fails, never skips, without them.
 */
class InMemoryOsIT {

    private static final Path OSIE = Path.of(System.getProperty("ironbell.distribution"), "data/artifacts/osie");
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibo" + ID;
    private static final String TAP = "t" + ID + "o";
    private static Path work;

    @BeforeAll
    static void setUp() throws Exception {
        Shell.require("InMemoryOsIT", List.of("ip", "qemu-system-x86_64"));
        assertTrue(Files.isReadable(OSIE.resolve("vmlinuz")) && Files.isReadable(OSIE.resolve("initramfs")),
                "the distribution has no in-memory OS under " + OSIE + ": build it (mvn install)");
        work = Files.createTempDirectory("osie-it");
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", "ob" + ID, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.236.0.1/24", "dev", "ob" + ID}, {"ip", "-n", NS, "link", "set", "ob" + ID, "up"},
            {"ip", "-n", NS, "tuntap", "add", TAP, "mode", "tap"}, {"ip", "-n", NS, "link", "set", TAP, "master", "ob" + ID},
            {"ip", "-n", NS, "link", "set", TAP, "up"},
        });
    }

    @AfterAll
    static void tearDown() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        io.ironbell.testing.TempDirs.delete(work);
    }

    /** A VM on the test's bridge, its serial console on stdin/stdout. */
    private static Process boot(String name, String cmdline) throws IOException {
        return boot(name, cmdline, OSIE.resolve("initramfs"));
    }

    private static Process boot(String name, String cmdline, Path initramfs) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NS, "qemu-system-x86_64", "-accel", "tcg", "-m", "1024",
                "-smp", "2", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                "-kernel", OSIE.resolve("vmlinuz").toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 quiet " + cmdline,
                "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:05:1e:01"));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    private static String console(String name) {
        try {
            return Files.readString(work.resolve(name + ".log"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    private static void awaitConsole(String name, Process vm, String text, Duration timeout) {
        Await.until("'" + text + "' on the console of " + name, timeout, () -> {
            if (!vm.isAlive()) {
                throw new AssertionError(name + " exited:\n" + console(name));
            }
            return console(name).contains(text) ? true : null;
        });
    }

    @Test
    void withoutAServerItSaysWhyAndLeavesAShell() throws Exception {
        Process vm = boot("no-server", "ironbell.worker=52:54:00:05:1e:01");
        try {
            awaitConsole("no-server", vm, "ironbell: the in-memory OS cannot go on: no ironbell.server= on the kernel command line", Duration.ofMinutes(3));
            awaitConsole("no-server", vm, "a shell follows", Duration.ofSeconds(10));
            // the prompt of busybox ash as root ("/ # ") after that line: the shell reads the console from now on
            Await.until("the shell's prompt on the console of no-server", Duration.ofSeconds(30), () -> {
                if (!vm.isAlive()) {
                    throw new AssertionError("no-server exited:\n" + console("no-server"));
                }
                String console = console("no-server");
                return console.substring(console.indexOf("a shell follows")).contains("# ") ? true : null;
            });
            try (OutputStream in = vm.getOutputStream()) {
                in.write("echo shell-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
                in.flush();
                awaitConsole("no-server", vm, "shell-42", Duration.ofSeconds(60));
            }
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStaticAddressFromTheKernelCommandLineCarriesTheWorkersRequests() throws Exception {
        Process vm = boot("static", "ironbell.worker=52:54:00:05:1e:01 ironbell.server=https://10.236.0.1:9 ironbell.ca=sha256:"
                + "0f".repeat(32) + " ironbell.boot_token=ibb_test.token ip=10.236.0.50::10.236.0.1:255.255.255.0:node-static:eth0");
        try {
            awaitConsole("static", vm, "ironbell: static address 10.236.0.50/255.255.255.0 on eth0", Duration.ofMinutes(3));
            awaitConsole("static", vm, "ironbell: up: worker 52:54:00:05:1e:01", Duration.ofSeconds(30));
            // its worker runs and asks the server (nothing listens on port 9), from the static address:
            // the bridge learned 10.236.0.50 at the machine's MAC
            awaitConsole("static", vm, "cannot reach the server (no Ironbell server answers at https://10.236.0.1:9 for POST /api/v1/machines/session", Duration.ofMinutes(3));
            String neighbours = Shell.run(List.of("ip", "-n", NS, "neigh", "show", "10.236.0.50")).output();
            assertTrue(neighbours.contains("lladdr 52:54:00:05:1e:01"), "the bridge's neighbours: " + neighbours);
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A vendor's plugin that {@code ironbell assemble --worker-plugin} appended to the initramfs as a
     * second archive: the kernel unpacks it over the first, and the worker's container starts it.
     */
    @Test
    void aPluginAssembleBakedIntoTheInitramfsStartsInTheWorker() throws Exception {
        Path hello = Path.of(System.getProperty("ironbell.exampleActionJar"));
        Path edition = work.resolve("vendor-edition");
        io.ironbell.testing.Sh.Result assembled = io.ironbell.testing.Sh.run(List.of(OSIE.resolve("../../../bin/ironbell").normalize().toString(),
                "assemble", "--features", "core,worker-native", "--worker-plugin", hello.toString(), "--osie", "lean", "--out", edition.toString()),
                Duration.ofMinutes(2));
        assertTrue(assembled.status() == 0, assembled.output() + assembled.errors());
        Process vm = boot("vendor", "ironbell.worker=52:54:00:05:1e:01 ironbell.server=https://10.236.0.1:9 ironbell.ca=sha256:" + "0f".repeat(32)
                + " ip=10.236.0.51::10.236.0.1:255.255.255.0:node-vendor:eth0", edition.resolve("data/artifacts/osie/initramfs"));
        try {
            awaitConsole("vendor", vm, "action plugin hello from com.example.ironbell.hello", Duration.ofMinutes(4));
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
