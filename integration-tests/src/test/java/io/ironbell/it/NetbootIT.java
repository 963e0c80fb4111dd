package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Virtual machines boot from the network through Ironbell, in a network namespace this test
 * makes: the server's DHCP serves a bridge that holds the VMs' tap devices, and a veth link lets
 * this test reach its API. Each VM has an empty machine (no disk) and a pending workflow; it
 * boots Debian's kernel with an initramfs this test builds (busybox), which takes a lease, asks
 * the worker API for its action, logs a line and reports success, then powers off.
 *
 * <ul>
 *   <li>BIOS: SeaBIOS and Debian's iPXE NIC ROM, which already is iPXE: DHCP hands it the URL of
 *       its script, the script boots the kernel and initramfs from /artifacts.</li>
 *   <li>UEFI: OVMF's own PXE client (the NIC's ROM left out): DHCP hands it ipxe.efi, fetched
 *       over Ironbell's TFTP, and that iPXE then gets its script as above.</li>
 * </ul>
 *
 * QEMU runs under TCG (the nested KVM of these machines stops SeaBIOS+iPXE and OVMF). Needs root,
 * iproute2, qemu-system-x86, ipxe-qemu, ipxe, ovmf, linux-image-amd64, busybox-static and cpio
 * (.ci/prepare installs them); fails, never skips, without them.
 */
class NetbootIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibn" + ID;
    private static final String BRIDGE = "nb" + ID;
    private static final String BIOS_MAC = "52:54:00:b0:07:01";
    private static final String UEFI_MAC = "52:54:00:b0:07:02";
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(300);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE = """
            version: "0.1"
            name: netboot-test
            global_timeout: 900
            tasks:
              - name: callback
                worker: "{{.device_1}}"
                actions:
                  - name: call-home
                    image: ironbell.test/call-home:1
                    timeout: 600
            """;
    private static ServerProcess server;
    private static Path work;
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("netboot-it");
        Shell.require("NetbootIT", List.of("ip", "qemu-system-x86_64", "cpio", "gzip", "modprobe"));
        for (String file : List.of("/bin/busybox", "/usr/lib/ipxe/qemu/efi-virtio.rom", "/usr/lib/ipxe/ipxe.efi",
                "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare");
        }
        Path kernel = debianKernel();
        Path artifacts = Files.createDirectories(work.resolve("artifacts/osie"));
        Files.copy(kernel, artifacts.resolve("vmlinuz"));
        buildInitramfs(kernel.getFileName().toString().substring("vmlinuz-".length()), artifacts.resolve("initramfs"));

        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.233.0.1/24", "dev", BRIDGE}, {"ip", "-n", NS, "link", "set", BRIDGE, "up"},
            {"ip", "-n", NS, "tuntap", "add", "t" + ID + "b", "mode", "tap"}, {"ip", "-n", NS, "link", "set", "t" + ID + "b", "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", "t" + ID + "b", "up"},
            {"ip", "-n", NS, "tuntap", "add", "t" + ID + "u", "mode", "tap"}, {"ip", "-n", NS, "link", "set", "t" + ID + "u", "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", "t" + ID + "u", "up"},
            {"ip", "link", "add", "n" + ID + "r", "type", "veth", "peer", "name", "n" + ID + "a"},
            {"ip", "link", "set", "n" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.233.1.1/30", "dev", "n" + ID + "r"}, {"ip", "link", "set", "n" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.233.1.2/30", "dev", "n" + ID + "a"}, {"ip", "-n", NS, "link", "set", "n" + ID + "a", "up"},
        });
        server = ServerProcess.startWrapped(DISTRIBUTION, work.resolve("home"), Map.of(
                        "IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                        "IRONBELL_TFTP_ENABLED", "true", "IRONBELL_ARTIFACTS_DIR", work.resolve("artifacts").toString()),
                List.of("ip", "netns", "exec", NS), "10.233.1.2");
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
        assertEquals(201, call("POST", "/templates?name=netboot-test", TEMPLATE).status());
        register("bios-vm", BIOS_MAC, "10.233.0.10");
        register("uefi-vm", UEFI_MAC, "10.233.0.11");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        cleanup();
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "n" + ID + "r"));
    }

    @Test
    void aBiosVmBootsThroughItsIpxeRomToItsScript() throws Exception {
        boot("bios", BIOS_MAC, "t" + ID + "b", List.of("-device", "virtio-net-pci,netdev=n0,mac=" + BIOS_MAC), 0);
    }

    @Test
    void aUefiVmBootsThroughFirmwarePxeTftpAndIpxe() throws Exception {
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("uefi-vars.fd"));
        long tftpBefore = metric("ironbell_tftp_transfers_total");
        boot("uefi", UEFI_MAC, "t" + ID + "u", List.of(
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-device", "virtio-net-pci,netdev=n0,mac=" + UEFI_MAC + ",romfile="), 1);
        assertTrue(metric("ironbell_tftp_transfers_total") > tftpBefore, "ipxe.efi came over TFTP");
    }

    /**
     * Creates the machine's workflow, powers the VM on and follows it to the end: the test OS
     * reports its action done, the workflow ends SUCCESS with its events, and its log line is
     * readable through the API. Prints how long each stage took from power-on.
     */
    private void boot(String name, String mac, String tap, List<String> machine, int minTftp) throws Exception {
        JsonNode workflow = JSON.readTree(call("POST", "/workflows", "{\"template\":\"netboot-test\",\"hardware\":{\"device_1\":\"" + mac + "\"}}").body());
        String id = workflow.get("id").asText();
        Path serial = work.resolve(name + "-serial.log");
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NS, "qemu-system-x86_64", "-accel", "tcg", "-m", "512",
                "-display", "none", "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"));
        command.addAll(machine);
        command.addAll(List.of("-boot", "n"));
        long answeredBefore = metric("ironbell_dhcp_answered_total");
        long start = System.nanoTime();
        Process vm = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + "-qemu.log").toFile()).start();
        Map<String, Long> stages = new LinkedHashMap<>();
        try {
            while (!stages.containsKey("test OS done")) {
                long elapsed = System.nanoTime() - start;
                if (elapsed > BOOT_LIMIT.toNanos() || !vm.isAlive() && !stages.containsKey("test OS done") && stagesFromSerial(serial, stages, start) < 0) {
                    throw new AssertionError(name + " VM did not finish in " + BOOT_LIMIT + " (qemu " + (vm.isAlive() ? "running" : "exited " + vm.exitValue())
                            + "); stages " + stages + "\nserial:\n" + tail(serial) + "\nqemu:\n" + tail(work.resolve(name + "-qemu.log")));
                }
                if (!stages.containsKey("DHCP answered") && metric("ironbell_dhcp_answered_total") > answeredBefore) {
                    stages.put("DHCP answered", System.nanoTime() - start);
                }
                stagesFromSerial(serial, stages, start);
                Thread.sleep(100);
            }
            assertTrue(vm.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the VM powers off after its callback");
        } finally {
            vm.destroyForcibly();
        }
        String log = Files.readString(serial);
        assertTrue(log.contains("IRONBELL-TEST-OS up: worker=" + mac + " server=http://10.233.0.1:" + server.httpPort()), log);
        assertTrue(!log.contains("IRONBELL-TEST-OS failed"), log);
        JsonNode done = JSON.readTree(call("GET", "/workflows/" + id, null).body());
        assertEquals("SUCCESS", done.get("state").asText(), done.toString());
        JsonNode events = JSON.readTree(call("GET", "/workflows/" + id + "/events", null).body());
        assertTrue(events.toString().contains("RUNNING") && events.toString().contains("SUCCESS"), events.toString());
        String lines = call("GET", "/machines/" + name + "-vm/logs", null).body();
        assertTrue(lines.contains("hello from the test OS on " + mac), lines);
        StringBuilder report = new StringBuilder(name + " VM, seconds from power-on:");
        stages.forEach((stage, nanos) -> report.append(String.format(" %s %.1f;", stage, nanos / 1e9)));
        System.out.println(report);
    }

    private static final Pattern MARKER = Pattern.compile("IRONBELL-TEST-OS (up|done|failed)");

    /** Records when each test-OS marker first appeared; returns -1 once the OS said it failed. */
    private static int stagesFromSerial(Path serial, Map<String, Long> stages, long start) throws IOException {
        if (!Files.exists(serial)) {
            return 0;
        }
        Matcher m = MARKER.matcher(Files.readString(serial, java.nio.charset.StandardCharsets.ISO_8859_1));
        while (m.find()) {
            String stage = "test OS " + m.group(1);
            stages.putIfAbsent(stage, System.nanoTime() - start);
            if (m.group(1).equals("failed")) {
                return -1;
            }
        }
        return 0;
    }

    private static String tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "(none)";
        }
        String s = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    private static long metric(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(Http.get(server.url("/metrics")).body());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void register(String id, String mac, String ip) {
        Http.Response r = call("POST", "/hardware", "{\"id\":\"" + id + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + mac
                + "\",\"hostname\":\"" + id + "\",\"ip\":{\"address\":\"" + ip + "\",\"netmask\":\"255.255.255.0\",\"gateway\":\"10.233.0.1\"}},"
                + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}");
        assertEquals(201, r.status(), r.body());
    }

    private static Http.Response call(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url("/api/v1" + path))).header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return Http.send(b.build());
    }

    /** The newest kernel Debian's linux-image package installed under /boot. */
    private static Path debianKernel() throws IOException {
        List<Path> kernels = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            s.forEach(kernels::add);
        }
        assertTrue(!kernels.isEmpty(), "no kernel under /boot: install linux-image-amd64 (.ci/prepare)");
        kernels.sort(null);
        return kernels.get(kernels.size() - 1);
    }

    /**
     * The test OS: busybox, the virtio-net driver and its dependencies from the kernel's modules,
     * and an init that does what the worker will: lease, ask for the action, log, report.
     */
    private static void buildInitramfs(String kernelVersion, Path out) throws Exception {
        Path root = Files.createDirectories(work.resolve("initramfs"));
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("lib/modules"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        List<String> modules = new ArrayList<>();
        for (String driver : List.of("virtio_pci", "virtio_net")) {
            Result deps = Shell.run(List.of("modprobe", "-S", kernelVersion, "--show-depends", driver));
            assertEquals(0, deps.status(), deps.output());
            for (String line : deps.output().split("\n")) {
                if (line.startsWith("insmod ")) {
                    Path ko = Path.of(line.substring("insmod ".length()).trim());
                    String name = ko.getFileName().toString();
                    if (!modules.contains(name)) {
                        modules.add(name);
                        Files.copy(ko, root.resolve("lib/modules/" + name));
                    }
                }
            }
        }
        String init = """
                #!/bin/busybox sh
                /bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
                /bin/busybox --install -s
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                fail() { echo "IRONBELL-TEST-OS failed: $1"; poweroff -f; }
                for m in %s; do insmod /lib/modules/$m || fail "insmod $m"; done
                for a in $(cat /proc/cmdline); do
                  case "$a" in
                    ironbell.server=*) server=${a#ironbell.server=} ;;
                    ironbell.worker=*) worker=${a#ironbell.worker=} ;;
                  esac
                done
                echo "IRONBELL-TEST-OS up: worker=$worker server=$server"
                i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
                ip link set lo up; ip link set eth0 up
                udhcpc -i eth0 -n -q -t 10 -T 2 -s /udhcpc.sh || fail "no lease"
                api="$server/api/v1/worker/$worker"
                # busybox's wget -T crashes: bound each call with timeout instead
                timeout 30 wget -q -O /tmp/next "$api/next" || fail "no next action"
                wf=$(sed -n 's/.*"workflowId":"\\([^"]*\\)".*/\\1/p' /tmp/next)
                idx=$(sed -n 's/.*"actionIndex":\\([0-9]*\\).*/\\1/p' /tmp/next)
                post() { timeout 30 wget -q -O /dev/null --header 'Content-Type: application/json' --post-data "$2" "$api/$1"; }
                post report "{\\"workflowId\\":\\"$wf\\",\\"actionIndex\\":$idx,\\"state\\":\\"RUNNING\\"}" || fail "report RUNNING"
                post logs "{\\"lines\\":[{\\"text\\":\\"hello from the test OS on $worker\\"}]}" || fail "logs"
                post report "{\\"workflowId\\":\\"$wf\\",\\"actionIndex\\":$idx,\\"state\\":\\"SUCCESS\\"}" || fail "report SUCCESS"
                echo "IRONBELL-TEST-OS done"
                poweroff -f
                """.formatted(String.join(" ", modules));
        String dhcpScript = """
                #!/bin/sh
                [ "$1" = bound ] || exit 0
                ifconfig "$interface" "$ip" netmask "$subnet" up
                [ -n "$router" ] && route add default gw "$router"
                echo "IRONBELL-TEST-OS lease: $ip"
                exit 0
                """;
        for (Map.Entry<String, String> f : Map.of("init", init, "udhcpc.sh", dhcpScript).entrySet()) {
            Path p = Files.writeString(root.resolve(f.getKey()), f.getValue());
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Result cpio = Shell.run(List.of("sh", "-c", "cd " + root + " && find . | cpio -o -H newc --quiet | gzip -1 > " + out));
        assertEquals(0, cpio.status(), cpio.output());
    }
}
