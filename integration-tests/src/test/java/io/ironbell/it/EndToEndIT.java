package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.RegistryProcess;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole product in one virtual machine: an empty machine powers on and ends up running the
 * OS its operator chose. In a network namespace with a bridge, the real server (DHCP, TFTP, HTTP,
 * API, metadata, syslog) and a QEMU VM with UEFI firmware and an empty disk: the firmware's PXE
 * gets ipxe.efi over TFTP, iPXE its script, the script boots the distribution's in-memory OS,
 * whose worker runs image2disk (a disk image this test makes: a partition with a kernel, an
 * initramfs of its own and a grub.cfg) and kexec (the grub.cfg's default entry); the installed
 * OS then asks the metadata service for its hostname and prints it on the serial console.
 *
 * <p>KVM is tried when /dev/kvm exists, TCG otherwise or when KVM shows nothing (the nested KVM
 * of the project's machines stops OVMF). Prints the seconds from power-on to each stage. Needs
 * root, iproute2, qemu-system-x86, ovmf, ipxe, linux-image-amd64, busybox-static, cpio, fdisk,
 * e2fsprogs and zstd (.ci/prepare installs them); fails, never skips, without them.
 */
class EndToEndIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibe" + ID;
    private static final String BRIDGE = "eb" + ID;
    private static final String TAP = "t" + ID + "e";
    private static final String MAC = "52:54:00:e2:e0:01";
    private static final String HOSTNAME = "e2e-node-1";
    private static final Duration LIMIT = Duration.ofMinutes(15);
    private static Path work;
    private static Path home;
    private static ServerProcess server;
    private static String token;
    private static final Path HELLO_JAR = Path.of(System.getProperty("ironbell.exampleActionJar"));
    /** The registry on the provisioning network, where a vendor's plugin is published as an OCI artifact. */
    private static final String REGISTRY = "10.235.0.1:5000";
    private static RegistryProcess registry;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("e2e-it");
        Shell.require("EndToEndIT", List.of("ip", "qemu-system-x86_64", "cpio", "gzip", "modprobe", "sfdisk", "mkfs.ext4", "zstd"));
        for (String file : List.of("/bin/busybox", "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd",
                DISTRIBUTION + "/data/artifacts/osie/vmlinuz", DISTRIBUTION + "/data/artifacts/osie/initramfs")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare and build the distribution");
        }
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.235.0.1/24", "dev", BRIDGE}, {"ip", "-n", NS, "link", "set", BRIDGE, "up"},
            {"ip", "-n", NS, "tuntap", "add", TAP, "mode", "tap"}, {"ip", "-n", NS, "link", "set", TAP, "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", TAP, "up"},
            {"ip", "link", "add", "e" + ID + "r", "type", "veth", "peer", "name", "e" + ID + "a"},
            {"ip", "link", "set", "e" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.235.1.1/30", "dev", "e" + ID + "r"}, {"ip", "link", "set", "e" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.235.1.2/30", "dev", "e" + ID + "a"}, {"ip", "-n", NS, "link", "set", "e" + ID + "a", "up"},
        });
        home = ServerProcess.install(DISTRIBUTION, work.resolve("home"));
        registry = RegistryProcess.start(work.resolve("registry"), "0.0.0.0", 5000, "", List.of("ip", "netns", "exec", NS));
        server = ServerProcess.startWrappedIn(home, Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                "IRONBELL_TFTP_ENABLED", "true", "IRONBELL_SYSLOG_ENABLED", "true",
                "IRONBELL_IPXE_KERNEL_ARGS", "console=tty0 console=ttyS0,115200 insecure_registries=" + REGISTRY), List.of("ip", "netns", "exec", NS), "10.235.1.2");
        server.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (registry != null) {
            registry.close();
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "e" + ID + "r"));
    }

    @Test
    void anEmptyMachineBootsFromTheNetworkAndEndsUpRunningItsOs() throws Exception {
        String metadata = "http://10.235.0.1:" + server.httpPort();
        Path image = buildDiskImage(metadata);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(image)));
        Files.createDirectories(home.resolve("data/artifacts/images"));
        Files.copy(image, home.resolve("data/artifacts/images/os.img.zst"));

        // the machine, its template and its workflow as a Tinkerbell user has them: Kubernetes objects, applied
        Path manifests = work.resolve("tinkerbell.yaml");
        Files.writeString(manifests, """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: %1$s, namespace: tink-system}
                spec:
                  disks: [{device: /dev/vda}]
                  metadata:
                    instance: {hostname: %1$s, id: "%2$s"}
                  interfaces:
                    - dhcp: {mac: "%2$s", hostname: %1$s, ip: {address: 10.235.0.20, netmask: 255.255.255.0, gateway: 10.235.0.1}}
                      netboot: {allowPXE: true, allowWorkflow: true}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: install-os, namespace: tink-system}
                spec:
                  data: |
                    version: "0.1"
                    name: install-os
                    global_timeout: 1800
                    tasks:
                      - name: install
                        worker: "{{.device_1}}"
                        actions:
                    {{- range $i, $disk := .Hardware.Disks }}{{ if eq $i 0 }}
                          - name: stream-image
                            image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                            timeout: 900
                            environment:
                              IMG_URL: %3$s/artifacts/images/os.img.zst
                              DEST_DISK: {{ $disk }}
                              ROOT_PARTITION: {{ formatPartition $disk 1 }}
                              COMPRESSED: "true"
                              IMG_CHECKSUM: sha256:%4$s
                    {{- end }}{{ end }}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: install-%1$s, namespace: tink-system}
                spec:
                  templateRef: install-os
                  hardwareRef: %1$s
                  hardwareMap: {device_1: "%2$s"}
                  bootOptions: {toggleAllowNetboot: true}
                """.formatted(HOSTNAME, MAC, metadata, sha256));
        Result applied = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "apply", "-f", manifests.toString(), "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, applied.status(), applied.output());
        assertEquals("hardware/" + HOSTNAME + " created\ntemplate/install-os created\nworkflow/install-" + HOSTNAME + " created",
                applied.output().strip());
        String id = "install-" + HOSTNAME;
        JsonNode rendered = json(api("GET", "/workflows/" + id, null)).at("/template/tasks/0/actions/0/environment");
        assertEquals("/dev/vda", rendered.get("DEST_DISK").asText(), "formatPartition and range over .Hardware.Disks: " + rendered);
        assertEquals("/dev/vda1", rendered.get("ROOT_PARTITION").asText());

        Map<String, Double> stages = null;
        List<String> accelerators = Files.isWritable(Path.of("/dev/kvm")) ? List.of("kvm", "tcg") : List.of("tcg");
        String[] second = new String[1];
        for (String accel : accelerators) {
            stages = boot(accel, id, () -> second[0] = deliverPlugins());
            if (stages != null) {
                break;
            }
        }
        assertTrue(stages != null, "the VM did not boot with " + accelerators);

        List<String> events = events(id);
        for (String expected : List.of("stream-image RUNNING running on image2disk", "stream-image SUCCESS wrote ", "(workflow) SUCCESS all 1 actions succeeded")) {
            assertTrue(events.stream().anyMatch(e -> e.startsWith(expected)), "event '" + expected + "' in " + events);
        }
        assertTrue(events.stream().anyMatch(e -> e.startsWith("stream-image SUCCESS") && e.contains("sha256 verified")), events.toString());
        // the second workflow, created while the machine ran its in-memory OS: plugins it never had, delivered at run time
        List<String> later = events(second[0]);
        for (String expected : List.of("greet-pushed RUNNING running on hello (com.example.ironbell.hello 0.1.0",
                "greet-pushed SUCCESS greeted e2e", "greet-published RUNNING running on hello (com.example.ironbell.hello 7.7.7)",
                "greet-published SUCCESS greeted e2e", "kexec RUNNING running on kexec", "kexec SUCCESS ", "(workflow) SUCCESS all 3 actions succeeded")) {
            assertTrue(later.stream().anyMatch(e -> e.startsWith(expected)), "event '" + expected + "' in " + later);
        }

        // the install's logs, as an operator reads them: the worker's lines and the in-memory OS's syslog
        Result logs = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "logs", HOSTNAME, "--tail", "1000", "--server", server.secureUrl(""), "--token", token));
        assertEquals(0, logs.status(), logs.output());
        for (String expected : List.of("stream-image: wrote", "worker: running kexec", "ironbell: up: worker " + MAC,
                "worker: installed plugin com.example.ironbell.hello 0.1.0.SNAPSHOT", "from the server",
                "worker: installed plugin com.example.ironbell.hello 7.7.7", "from " + REGISTRY + "/acme/hello@sha256:")) {
            assertTrue(logs.output().contains(expected), "'" + expected + "' in ironbell logs:\n" + logs.output());
        }
        StringBuilder report = new StringBuilder("end to end, seconds from power-on:");
        stages.forEach((stage, s) -> report.append(String.format(" %s %.1f;", stage, s)));
        System.out.println(report);
    }

    private static List<String> events(String workflow) throws IOException {
        List<String> events = new ArrayList<>();
        for (JsonNode e : json(api("GET", "/workflows/" + workflow + "/events?limit=1000", null)).get("items")) {
            events.add((e.hasNonNull("action") ? e.get("action").asText() : "(workflow)") + " " + e.get("state").asText() + " " + e.path("message").asText(""));
        }
        return events;
    }

    /**
     * While the machine waits in its in-memory OS: pushes the vendor's plugin to the server,
     * publishes another version of it as an OCI artifact to the registry on the provisioning
     * network, and creates a workflow whose actions only those can run, then kexec; returns its id.
     */
    private static String deliverPlugins() throws Exception {
        Result pushed = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "plugin", "push", HELLO_JAR.toString(), "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, pushed.status(), pushed.output());
        Path v7 = PluginDeliveryIT.withVersion(HELLO_JAR, work.resolve("hello-7.jar"), "7.7.7");
        Result published = Shell.run(List.of("ip", "netns", "exec", NS, home.resolve("bin/ironbell").toString(), "plugin", "publish",
                v7.toString(), "127.0.0.1:5000/acme/hello:7.7.7", "--plain-http"));
        assertEquals(0, published.status(), published.output());
        String template = """
                version: "0.1"
                name: vendor-steps
                global_timeout: 900
                tasks:
                  - name: vendor
                    worker: "{{.device_1}}"
                    actions:
                      - name: greet-pushed
                        image: ghcr.io/acme/hello:1.0
                        timeout: 120
                        environment: {NAME: e2e}
                      - name: greet-published
                        image: %s/acme/hello:7.7.7
                        timeout: 120
                        environment: {NAME: e2e}
                      - name: kexec
                        image: quay.io/tinkerbell-actions/kexec:v1.0.0
                        timeout: 300
                        environment:
                          BLOCK_DEVICE: /dev/vda1
                          FS_TYPE: ext4
                """.formatted(REGISTRY);
        assertEquals(201, api("POST", "/templates?name=vendor-steps", template).status());
        return json(api("POST", "/workflows", "{\"template\":\"vendor-steps\",\"hardware\":{\"device_1\":\"" + MAC + "\"}}")).get("id").asText();
    }

    /** What runs once the first workflow wrote the image: makes the second workflow and returns its id. */
    @FunctionalInterface
    interface Then {
        String run() throws Exception;
    }

    /**
     * Powers the VM on and follows it until the installed OS prints its hostname; returns the
     * seconds from power-on to each stage, or null when the firmware never asked for an address
     * within 30 s (KVM that cannot run it). Once the first workflow has written the image,
     * {@code then} makes the second, which ends in kexec.
     */
    private static Map<String, Double> boot(String accel, String workflow, Then then) throws Exception {
        Path disk = work.resolve("disk-" + accel + ".raw");
        Shell.run(List.of("truncate", "-s", "96M", disk.toString()));
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars-" + accel + ".fd"));
        Path serial = work.resolve("serial-" + accel + ".log");
        List<String> command = List.of("ip", "netns", "exec", NS, "qemu-system-x86_64", "-accel", accel, "-m", "1536", "-smp", "2",
                "-display", "none", "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-drive", "if=virtio,format=raw,file=" + disk,
                "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC + ",romfile=", "-boot", "n");
        long dhcpBefore = server.metric("ironbell_dhcp_answered_total");
        long tftpBefore = server.metric("ironbell_tftp_transfers_total");
        long scriptsBefore = server.metric("ironbell_ipxe_work_scripts_total");
        long start = System.nanoTime();
        Process vm = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("qemu-" + accel + ".log").toFile()).start();
        Map<String, Double> stages = new LinkedHashMap<>();
        String second = null;
        try {
            while (!stages.containsKey("installed OS up")) {
                double s = (System.nanoTime() - start) / 1e9;
                if (accel.equals("kvm") && !stages.containsKey("DHCP answered") && s > 30) {
                    System.out.println("end to end: no DHCP request within 30 s under KVM; trying TCG");
                    return null;
                }
                boolean exited = !vm.isAlive(); // read before the console, so that its last lines are seen
                if (s > LIMIT.toSeconds() || exited && !Files.readString(serial, StandardCharsets.ISO_8859_1).contains("IRONBELL-INSTALLED-OS hostname=")) {
                    throw new AssertionError("the VM did not reach its installed OS in " + LIMIT + " (" + accel + ", qemu "
                            + (vm.isAlive() ? "running" : "exited " + vm.exitValue()) + "); stages " + stages + "\nworkflow: "
                            + api("GET", "/workflows/" + workflow, null).body() + "\nserial:\n" + tail(serial));
                }
                stage(stages, "DHCP answered", s, server.metric("ironbell_dhcp_answered_total") > dhcpBefore);
                stage(stages, "ipxe.efi over TFTP", s, server.metric("ironbell_tftp_transfers_total") > tftpBefore);
                stage(stages, "iPXE script", s, server.metric("ironbell_ipxe_work_scripts_total") > scriptsBefore);
                String console = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                stage(stages, "in-memory OS up", s, console.contains("ironbell: up: worker " + MAC));
                stage(stages, "worker started", s, console.contains("takes its actions from"));
                if (!stages.containsKey("image written")) {
                    String state = api("GET", "/workflows/" + workflow, null).body();
                    assertTrue(!state.contains("\"state\":\"FAILED\"") && !state.contains("\"state\":\"TIMEOUT\""),
                            "the workflow failed: " + state + "\nserial:\n" + tail(serial));
                    // the first workflow ended (its one action wrote the image); the machine waits in its in-memory OS
                    stage(stages, "image written", s, json(api("GET", "/workflows/" + workflow, null)).get("state").asText().equals("SUCCESS"));
                    if (stages.containsKey("image written")) {
                        second = then.run();
                    }
                } else if (!stages.containsKey("kexec reported")) {
                    String state = api("GET", "/workflows/" + second, null).body();
                    assertTrue(!state.contains("\"state\":\"FAILED\"") && !state.contains("\"state\":\"TIMEOUT\""),
                            "the second workflow failed: " + state + "\nserial:\n" + tail(serial));
                    stage(stages, "delivered plugins ran", s, state.contains("\"name\":\"greet-published\",\"worker\":\"" + MAC
                            + "\",\"state\":\"SUCCESS\""));
                    stage(stages, "kexec reported", s, state.contains("\"name\":\"kexec\",\"worker\":\"" + MAC + "\",\"state\":\"SUCCESS\""));
                }
                assertTrue(!console.contains("ironbell: the in-memory OS cannot go on") && !console.contains("IRONBELL-INSTALLED-OS failed"),
                        "the VM said it failed:\n" + tail(serial));
                stage(stages, "installed OS up", s, console.contains("IRONBELL-INSTALLED-OS hostname=" + HOSTNAME));
                Thread.sleep(250);
            }
            assertTrue(vm.waitFor(120, TimeUnit.SECONDS), "the installed OS powers off after printing its hostname");
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String console = Files.readString(serial, StandardCharsets.ISO_8859_1);
        assertTrue(console.contains("IRONBELL-INSTALLED-OS booted with metadata=http://10.235.0.1:"), console);
        stages.put("accelerator " + accel, 0.0);
        return stages;
    }

    private static void stage(Map<String, Double> stages, String name, double seconds, boolean reached) {
        if (reached && !stages.containsKey(name)) {
            stages.put(name, seconds);
            System.out.printf("end to end: %s at %.1f s%n", name, seconds);
        }
    }

    /**
     * The OS the operator chose, as a raw disk image compressed with zstd: a DOS partition table
     * and one ext4 partition holding Debian's kernel, an initramfs that takes a lease, asks the
     * metadata service for its hostname and prints it, and a grub.cfg shaped like Debian's whose
     * default entry boots them (kexec reads it).
     */
    private static Path buildDiskImage(String metadata) throws Exception {
        Path kernel = TestOs.debianKernel();
        String version = TestOs.version(kernel);
        Path initrd = work.resolve("installed-initrd.img");
        TestOs.installedOs(work.resolve("installed-root"), version, initrd);
        Path raw = work.resolve("os.img");
        Path mnt = Files.createDirectories(work.resolve("os-mnt"));
        long offset = 2048 * 512;
        String grub = """
                # generated like Debian's grub-mkconfig output
                if [ -s $prefix/grubenv ]; then
                  load_env
                fi
                set default="0"
                set timeout=5
                menuentry 'Ironbell test OS' --class debian --class gnu-linux --class os $menuentry_id_option 'test-os' {
                	insmod ext2
                	echo	'Loading Linux %1$s ...'
                	linux	/boot/vmlinuz-%1$s root=/dev/vda1 ro console=ttyS0,115200 metadata=%2$s
                	initrd	/boot/initrd.img-%1$s
                }
                submenu 'Advanced options for Ironbell test OS' $menuentry_id_option 'advanced' {
                	menuentry 'Ironbell test OS (recovery mode)' --class debian $menuentry_id_option 'recovery' {
                		linux	/boot/vmlinuz-%1$s root=/dev/vda1 ro single
                		initrd	/boot/initrd.img-%1$s
                	}
                }
                """.formatted(version, metadata);
        Files.writeString(work.resolve("grub.cfg"), grub);
        Result r = Shell.run(List.of("sh", "-c", "set -e; truncate -s 64M " + raw
                + " && printf 'label: dos\\nstart=2048, type=83, bootable\\n' | sfdisk -q " + raw
                + " && mkfs.ext4 -q -F -E offset=" + offset + " " + raw + " " + ((64L << 20) - offset) / 1024 + "k"
                + " && mount -o loop,offset=" + offset + " " + raw + " " + mnt
                + " && mkdir -p " + mnt + "/boot/grub && cp " + kernel + " " + mnt + "/boot/ && cp " + initrd + " " + mnt + "/boot/initrd.img-" + version
                + " && cp " + work.resolve("grub.cfg") + " " + mnt + "/boot/grub/grub.cfg && umount " + mnt
                + " && zstd -q -f " + raw + " -o " + raw + ".zst"));
        assertEquals(0, r.status(), r.output());
        return Path.of(raw + ".zst");
    }

    private static String tail(Path file) throws IOException {
        return ItApi.tail(file, 6000);
    }

    private static Http.Response api(String method, String path, String body) {
        return ItApi.call(server, token, method, path, body);
    }

    private static JsonNode json(Http.Response r) throws IOException {
        return ItApi.json(r);
    }
}
