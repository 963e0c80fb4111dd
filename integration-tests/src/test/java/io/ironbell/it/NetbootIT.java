package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 *   <li>Proxy mode: dnsmasq gives the address, a second Ironbell in proxy mode the boot options.</li>
 * </ul>
 *
 * QEMU runs under TCG (the nested KVM of these machines stops SeaBIOS+iPXE and OVMF). Needs root,
 * iproute2, qemu-system-x86, ipxe-qemu, ipxe, ovmf, linux-image-amd64, busybox-static, cpio and dnsmasq
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
    private static final String PROXY_NS = "ibp" + ID;
    private static final String DNSMASQ_NS = "ibd" + ID;
    private static final String PROXY_MAC = "52:54:00:b0:07:03";
    private static Path work;
    private static Site main;

    /** A server under test: its process, API token, and the namespace its VMs are started in. */
    private record Site(ServerProcess server, String token, String ns) {
    }

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("netboot-it");
        Shell.require("NetbootIT", List.of("ip", "qemu-system-x86_64", "cpio", "gzip", "modprobe", "dnsmasq"));
        for (String file : List.of("/bin/busybox", "/usr/lib/ipxe/qemu/efi-virtio.rom", "/usr/lib/ipxe/ipxe.efi",
                "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare");
        }
        Path kernel = TestOs.debianKernel();
        Path artifacts = Files.createDirectories(work.resolve("artifacts/osie"));
        Files.copy(kernel, artifacts.resolve("vmlinuz"));
        buildInitramfs(TestOs.version(kernel), artifacts.resolve("initramfs"));

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
        main = start("home", NS, "10.233.1.2", Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                "IRONBELL_TFTP_ENABLED", "true"));
        register(main, "bios-vm", BIOS_MAC, "10.233.0.10", "10.233.0.1");
        register(main, "uefi-vm", UEFI_MAC, "10.233.0.11", "10.233.0.1");
    }

    private static Site start(String home, String ns, String host, Map<String, String> env) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("IRONBELL_ARTIFACTS_DIR", work.resolve("artifacts").toString());
        // the test OS is busybox, whose wget's TLS does not complete a handshake with the JDK's: these sites run
        // with TLS off (the boot token's way over plain HTTP); the real worker's HTTPS is EndToEndIT's
        all.put("IRONBELL_HTTP_TLS", "false");
        ServerProcess server = ServerProcess.startWrapped(DISTRIBUTION, work.resolve(home), all, List.of("ip", "netns", "exec", ns), host);
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        Site site = new Site(server, Files.readString(work.resolve(home + "/data/api-token")).trim(), ns);
        assertEquals(201, call(site, "POST", "/templates?name=netboot-test", TEMPLATE).status());
        return site;
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (main != null) {
            main.server().close();
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "n" + ID + "r"));
        Shell.run(List.of("ip", "netns", "del", PROXY_NS));
        Shell.run(List.of("ip", "netns", "del", DNSMASQ_NS));
        Shell.run(List.of("ip", "link", "del", "p" + ID + "r"));
    }

    @Test
    void aBiosVmBootsThroughItsIpxeRomToItsScript() throws Exception {
        boot(main, "bios", BIOS_MAC, "t" + ID + "b", List.of("-device", "virtio-net-pci,netdev=n0,mac=" + BIOS_MAC));
    }

    @Test
    void aUefiVmBootsThroughFirmwarePxeTftpAndIpxe() throws Exception {
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("uefi-vars.fd"));
        long tftpBefore = metric(main, "ironbell_tftp_transfers_total");
        boot(main, "uefi", UEFI_MAC, "t" + ID + "u", List.of(
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-device", "virtio-net-pci,netdev=n0,mac=" + UEFI_MAC + ",romfile="));
        assertTrue(metric(main, "ironbell_tftp_transfers_total") > tftpBefore, "ipxe.efi came over TFTP");
    }

    /**
     * Proxy mode beside another DHCP server: dnsmasq, in a namespace of its own on the same
     * bridge, gives the addresses (and nothing about booting); a second Ironbell in proxy mode
     * gives the iPXE ROM its script, answering on port 67 and, when iPXE asks there, on 4011.
     */
    @Test
    void aVmBootsWithProxyModeBesideAnotherDhcpServer() throws Exception {
        String bridge = "pb" + ID;
        Shell.steps(new String[][] {
            {"ip", "netns", "add", PROXY_NS}, {"ip", "netns", "add", DNSMASQ_NS},
            {"ip", "-n", PROXY_NS, "link", "set", "lo", "up"}, {"ip", "-n", DNSMASQ_NS, "link", "set", "lo", "up"},
            {"ip", "-n", PROXY_NS, "link", "add", bridge, "type", "bridge"},
            {"ip", "-n", PROXY_NS, "addr", "add", "10.234.0.1/24", "dev", bridge}, {"ip", "-n", PROXY_NS, "link", "set", bridge, "up"},
            {"ip", "-n", PROXY_NS, "tuntap", "add", "t" + ID + "p", "mode", "tap"},
            {"ip", "-n", PROXY_NS, "link", "set", "t" + ID + "p", "master", bridge}, {"ip", "-n", PROXY_NS, "link", "set", "t" + ID + "p", "up"},
            {"ip", "-n", PROXY_NS, "link", "add", "d" + ID + "s", "type", "veth", "peer", "name", "d" + ID + "d"},
            {"ip", "-n", PROXY_NS, "link", "set", "d" + ID + "d", "netns", DNSMASQ_NS},
            {"ip", "-n", PROXY_NS, "link", "set", "d" + ID + "s", "master", bridge}, {"ip", "-n", PROXY_NS, "link", "set", "d" + ID + "s", "up"},
            {"ip", "-n", DNSMASQ_NS, "addr", "add", "10.234.0.2/24", "dev", "d" + ID + "d"}, {"ip", "-n", DNSMASQ_NS, "link", "set", "d" + ID + "d", "up"},
            {"ip", "link", "add", "p" + ID + "r", "type", "veth", "peer", "name", "p" + ID + "a"},
            {"ip", "link", "set", "p" + ID + "a", "netns", PROXY_NS},
            {"ip", "addr", "add", "10.234.1.1/30", "dev", "p" + ID + "r"}, {"ip", "link", "set", "p" + ID + "r", "up"},
            {"ip", "-n", PROXY_NS, "addr", "add", "10.234.1.2/30", "dev", "p" + ID + "a"}, {"ip", "-n", PROXY_NS, "link", "set", "p" + ID + "a", "up"},
        });
        Process dnsmasq = new ProcessBuilder("ip", "netns", "exec", DNSMASQ_NS, "dnsmasq", "--keep-in-foreground", "--port=0",
                "--interface=d" + ID + "d", "--bind-interfaces", "--dhcp-range=10.234.0.50,10.234.0.99,255.255.255.0,1h",
                "--dhcp-host=" + PROXY_MAC + ",10.234.0.12", "--dhcp-option=3,10.234.0.1", "--dhcp-leasefile=" + work.resolve("proxy.leases"),
                "--pid-file=", "--user=root", "--log-facility=" + work.resolve("dnsmasq.log"), "--log-dhcp")
                .redirectErrorStream(true).redirectOutput(work.resolve("dnsmasq.out").toFile()).start();
        Site proxy = null;
        try {
            proxy = start("proxy-home", PROXY_NS, "10.234.1.2", Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_MODE", "proxy",
                    "IRONBELL_DHCP_INTERFACE", bridge));
            // the address the other server reserves: the worker API knows machines by it
            register(proxy, "proxy-vm", PROXY_MAC, "10.234.0.12", "10.234.0.1");
            boot(proxy, "proxy", PROXY_MAC, "t" + ID + "p", List.of("-device", "virtio-net-pci,netdev=n0,mac=" + PROXY_MAC));
            String serial = Files.readString(work.resolve("proxy-serial.log"), StandardCharsets.ISO_8859_1);
            assertTrue(serial.contains("IRONBELL-TEST-OS lease: 10.234.0.12"), "the address came from dnsmasq: " + serial);
            String dnsmasqLog = Files.readString(work.resolve("dnsmasq.log"));
            assertTrue(dnsmasqLog.contains("DHCPACK(d" + ID + "d) 10.234.0.12 " + PROXY_MAC), dnsmasqLog);
            // iPXE took its file from the offer; a PXE client that asks the boot server on 4011 is answered there
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("10.234.1.1", 0))) {
                socket.setSoTimeout(5000);
                byte[] ask = DhcpPackets.request(DhcpPackets.REQUEST, 0x4011, PROXY_MAC, InetAddress.getByName("10.234.1.1"), null,
                        DhcpPackets.pxeClient());
                socket.send(new DatagramPacket(ask, ask.length, new InetSocketAddress("10.234.1.2", 4011)));
                byte[] buf = new byte[1500];
                DatagramPacket reply = new DatagramPacket(buf, buf.length);
                socket.receive(reply);
                String text = new String(buf, 0, reply.getLength(), StandardCharsets.ISO_8859_1);
                assertEquals(2, buf[0], "a BOOTREPLY");
                assertTrue(text.contains("PXEClient") && text.contains("undionly.kpxe"), "boot options from 4011: " + text);
            }
            System.out.println("proxy mode: replies from the boot-server port (4011): "
                    + metric(proxy, "ironbell_dhcp_boot_server_answered_total") + ", from port 67: " + metric(proxy, "ironbell_dhcp_answered_total"));
        } finally {
            if (proxy != null) {
                proxy.server().close();
            }
            dnsmasq.destroy();
        }
    }

    /**
     * Creates the machine's workflow, powers the VM on and follows it to the end: the test OS
     * reports its action done, the workflow ends SUCCESS with its events, and its log line is
     * readable through the API. Prints how long each stage took from power-on.
     */
    private void boot(Site site, String name, String mac, String tap, List<String> machine) throws Exception {
        JsonNode workflow = JSON.readTree(call(site, "POST", "/workflows", "{\"template\":\"netboot-test\",\"hardware\":{\"device_1\":\"" + mac + "\"}}").body());
        String id = workflow.get("id").asText();
        Path serial = work.resolve(name + "-serial.log");
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", site.ns(), "qemu-system-x86_64", "-accel", "tcg", "-m", "512",
                "-display", "none", "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"));
        command.addAll(machine);
        command.addAll(List.of("-boot", "n"));
        long answeredBefore = metric(site, "ironbell_dhcp_answered_total");
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
                if (!stages.containsKey("DHCP answered") && metric(site, "ironbell_dhcp_answered_total") > answeredBefore) {
                    stages.put("DHCP answered", System.nanoTime() - start);
                }
                stagesFromSerial(serial, stages, start);
                Thread.sleep(100);
            }
            assertTrue(vm.waitFor(60, TimeUnit.SECONDS), "the VM powers off after its callback");
        } finally {
            vm.destroyForcibly();
        }
        String log = Files.readString(serial);
        assertTrue(log.contains("IRONBELL-TEST-OS up: worker=" + mac + " server=http://"), log);
        assertTrue(!log.contains("IRONBELL-TEST-OS failed"), log);
        JsonNode done = JSON.readTree(call(site, "GET", "/workflows/" + id, null).body());
        assertEquals("SUCCESS", done.get("state").asText(), done.toString());
        JsonNode events = JSON.readTree(call(site, "GET", "/workflows/" + id + "/events", null).body());
        assertTrue(events.toString().contains("RUNNING") && events.toString().contains("SUCCESS"), events.toString());
        String lines = call(site, "GET", "/machines/" + name + "-vm/logs", null).body();
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
        Matcher m = MARKER.matcher(Files.readString(serial, StandardCharsets.ISO_8859_1));
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
        String s = Files.readString(file, StandardCharsets.ISO_8859_1);
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    private static long metric(Site site, String name) {
        return site.server().metric(name);
    }

    private static void register(Site site, String id, String mac, String ip, String gateway) {
        Http.Response r = call(site, "POST", "/hardware", "{\"id\":\"" + id + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + mac
                + "\",\"hostname\":\"" + id + "\",\"ip\":{\"address\":\"" + ip + "\",\"netmask\":\"255.255.255.0\",\"gateway\":\"" + gateway + "\"}},"
                + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}");
        assertEquals(201, r.status(), r.body());
    }

    private static Http.Response call(Site site, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(site.server().secureUrl("/api/v1" + path)))
                .header("Authorization", "Bearer " + site.token());
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return Http.send(b.build());
    }

    /**
     * The test OS: busybox, the virtio-net driver and its dependencies from the kernel's modules,
     * and an init that does what the worker will: lease, ask for the action, log, report.
     */
    private static void buildInitramfs(String kernelVersion, Path out) throws Exception {
        TestOs.initramfs(work.resolve("initramfs"), kernelVersion, modules -> TestOs.INIT_START + """
                fail() { echo "IRONBELL-TEST-OS failed: $1"; poweroff -f; }
                for m in %s; do insmod /lib/modules/$m || fail "insmod $m"; done
                for a in $(cat /proc/cmdline); do
                  case "$a" in
                    ironbell.server=*) server=${a#ironbell.server=} ;;
                    ironbell.worker=*) worker=${a#ironbell.worker=} ;;
                    ironbell.boot_token=*) boot=${a#ironbell.boot_token=} ;;
                  esac
                done
                echo "IRONBELL-TEST-OS up: worker=$worker server=$server"
                i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
                ip link set lo up; ip link set eth0 up
                udhcpc -i eth0 -n -q -t 10 -T 2 -s /udhcpc.sh || fail "no lease"
                api="$server/api/v1/worker/$worker"
                # busybox's wget -T crashes: bound each call with timeout instead
                timeout 30 wget -q -O /tmp/session --header 'Content-Type: application/json' --post-data "{\\"bootToken\\":\\"$boot\\"}" \
                  "$server/api/v1/machines/session" || fail "no session for the boot token"
                auth="Authorization: Bearer $(sed -n 's/.*"token":"\\([^"]*\\)".*/\\1/p' /tmp/session)"
                timeout 30 wget -q -O /tmp/next --header "$auth" "$api/next" || fail "no next action"
                wf=$(sed -n 's/.*"workflowId":"\\([^"]*\\)".*/\\1/p' /tmp/next)
                idx=$(sed -n 's/.*"actionIndex":\\([0-9]*\\).*/\\1/p' /tmp/next)
                post() { timeout 30 wget -q -O /dev/null --header "$auth" --header 'Content-Type: application/json' --post-data "$2" "$api/$1"; }
                post report "{\\"workflowId\\":\\"$wf\\",\\"actionIndex\\":$idx,\\"state\\":\\"RUNNING\\"}" || fail "report RUNNING"
                post logs "{\\"lines\\":[{\\"text\\":\\"hello from the test OS on $worker\\"}]}" || fail "logs"
                post report "{\\"workflowId\\":\\"$wf\\",\\"actionIndex\\":$idx,\\"state\\":\\"SUCCESS\\"}" || fail "report SUCCESS"
                echo "IRONBELL-TEST-OS done"
                poweroff -f
                """.formatted(String.join(" ", modules)), Map.of("udhcpc.sh", TestOs.dhcpScript("IRONBELL-TEST-OS")), out);
    }
}
