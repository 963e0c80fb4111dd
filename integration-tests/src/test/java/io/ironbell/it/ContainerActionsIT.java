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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tinkerbell's container actions on a real machine, served by a vendor's edition ({@code ironbell
 * assemble --features full --worker-plugin hello.jar --osie containers}, branded): a QEMU VM boots
 * the in-memory OS's flavor with
 * containers (Podman's Docker API, which the container plugin speaks) from the network, and its
 * worker runs images built by this test with buildah from Debian's packages and busybox, pulled
 * from a registry on the provisioning network. First the bad inputs, one workflow each, on the
 * same machine: an image that does not exist, a registry that refuses the credentials, a container
 * that exits non-zero, one that outlives its timeout, one that floods its output. Then the
 * provisioning: rootio (container) partitions (GPT: an EFI system partition and a root) and formats
 * the disk, archive2disk (native) unpacks the OS, writefile (native) writes its hostname, the
 * vendor's action (the plugin baked into the edition's in-memory OS) greets, cexec
 * (container) runs a command chrooted into it, grub2disk (container) installs GRUB for UEFI and
 * writes its grub.cfg, and kexec (native) boots it; the installed OS asks the metadata service for
 * its hostname and prints it. The test reads the disk afterwards, and powers the machine on again
 * from its disk: the firmware starts GRUB, GRUB the installed OS.
 * Needs root, qemu-system-x86, ovmf, ipxe, buildah, docker-registry, apache2-utils, dosfstools,
 * grub-efi-amd64-bin and the
 * distribution's initramfs-containers (.ci/prepare and the build make them); fails, never skips.
 */
class ContainerActionsIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibc" + ID;
    private static final String BRIDGE = "cb" + ID;
    private static final String TAP = "t" + ID + "c";
    private static final String MAC = "52:54:00:e2:c0:01";
    private static final String HOSTNAME = "container-node-1";
    private static final String REGISTRY = "10.237.0.1:5000";
    /** A registry that wants credentials, for the refused ones. */
    private static final String LOCKED_REGISTRY = "10.237.0.1:5001";
    private static final Duration LIMIT = Duration.ofMinutes(12);
    private static Path work;
    private static Path home;
    private static ServerProcess server;
    private static String token;
    private static final List<RegistryProcess> registries = new ArrayList<>();
    /** The workflows made, by their step's name. */
    private static final Map<String, String> workflows = new LinkedHashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("containers-it");
        Shell.require("ContainerActionsIT", List.of("ip", "qemu-system-x86_64", "buildah", "docker-registry", "htpasswd", "cpio", "gzip",
                "modprobe", "tar", "curl", "mkfs.vfat", "grub-install", "sfdisk"));
        for (String file : List.of("/bin/busybox", "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd",
                DISTRIBUTION + "/data/artifacts/osie/vmlinuz", DISTRIBUTION + "/data/artifacts/osie/initramfs-containers")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare and build the distribution");
        }
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.237.0.1/24", "dev", BRIDGE}, {"ip", "-n", NS, "link", "set", BRIDGE, "up"},
            {"ip", "-n", NS, "tuntap", "add", TAP, "mode", "tap"}, {"ip", "-n", NS, "link", "set", TAP, "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", TAP, "up"},
            {"ip", "link", "add", "c" + ID + "r", "type", "veth", "peer", "name", "c" + ID + "a"},
            {"ip", "link", "set", "c" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.237.1.1/30", "dev", "c" + ID + "r"}, {"ip", "link", "set", "c" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.237.1.2/30", "dev", "c" + ID + "a"}, {"ip", "-n", NS, "link", "set", "c" + ID + "a", "up"},
        });
        List<String> inNs = List.of("ip", "netns", "exec", NS);
        registries.add(RegistryProcess.start(work.resolve("registry"), "0.0.0.0", 5000, "", inNs));
        Result htpasswd = Shell.run(List.of("htpasswd", "-Bbn", "ironbell", "the-right-one"));
        assertEquals(0, htpasswd.status(), htpasswd.output());
        Path users = Files.writeString(Files.createDirectories(work.resolve("locked")).resolve("htpasswd"), htpasswd.output().trim() + "\n");
        registries.add(RegistryProcess.start(work.resolve("locked"), "0.0.0.0", 5001,
                "auth:\n  htpasswd:\n    realm: ironbell-test\n    path: " + users + "\n", inNs));
        long t0 = System.nanoTime();
        Result images = Sh(List.of("sh", Path.of(ContainerActionsIT.class.getResource("/container-actions/build-images.sh").toURI()).toString(),
                work.resolve("buildah").toString(), "127.0.0.1:5000", NS));
        assertEquals(0, images.status(), images.output());
        System.out.printf("container actions: 4 images built with buildah and pushed in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        // the server is a vendor's edition: the full feature set, the vendor's action plugin baked
        // into the in-memory OS with containers, its own name and banner
        home = work.resolve("acme-edition");
        io.ironbell.testing.Sh.Result assembled = io.ironbell.testing.Sh.run(List.of(DISTRIBUTION.resolve("bin/ironbell").toString(), "assemble",
                "--features", "full", "--worker-plugin", System.getProperty("ironbell.exampleActionJar"), "--osie", "containers",
                "--name", "Acme Provisioner", "--banner", "racks by Acme", "--out", home.toString()), Duration.ofMinutes(3));
        assertEquals(0, assembled.status(), assembled.output() + assembled.errors());
        server = ServerProcess.startWrappedIn(home, Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                "IRONBELL_TFTP_ENABLED", "true",
                "IRONBELL_IPXE_KERNEL_ARGS", "console=tty0 console=ttyS0,115200 insecure_registries=" + REGISTRY + "," + LOCKED_REGISTRY),
                inNs, "10.237.1.2");
        server.awaitHealthy(Duration.ofSeconds(90));
        assertTrue(server.output().stream().anyMatch(l -> l.contains("Acme Provisioner: racks by Acme")), "the edition's banner");
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        assertEquals(AssembleIT.bundlesIn(home), AssembleIT.readyBundles(server), "/readyz lists exactly the edition's bundles");
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    private static Result Sh(List<String> command) throws Exception {
        io.ironbell.testing.Sh.Result r = io.ironbell.testing.Sh.run(command, Duration.ofMinutes(5));
        return new Result(r.status(), r.output());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        registries.forEach(RegistryProcess::close);
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "c" + ID + "r"));
    }

    /** A workflow the machine runs, and how it must end. */
    private record Step(String name, String actions, String state, String message) {
    }

    @Test
    void tinkerbellContainerActionsProvisionARealMachine() throws Exception {
        String metadata = "http://10.237.0.1:" + server.httpPort();
        String version = TestOs.version(TestOs.debianKernel());
        Files.createDirectories(home.resolve("data/artifacts/images"));
        Path archive = home.resolve("data/artifacts/images/os.tar.gz");
        buildOsArchive(version, archive);
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(archive)));
        assertEquals(201, api("POST", "/hardware", "{\"id\":\"" + HOSTNAME + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC
                + "\",\"hostname\":\"" + HOSTNAME + "\",\"ip\":{\"address\":\"10.237.0.20\",\"netmask\":\"255.255.255.0\",\"gateway\":\"10.237.0.1\"}},"
                + "\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}").status());
        String busybox = REGISTRY + "/ironbell-test/busybox:1";
        List<Step> steps = List.of(
                new Step("missing-image", action("pull", REGISTRY + "/ironbell-test/nope:1", 120, "", ""),
                        "FAILED", "cannot pull " + REGISTRY + "/ironbell-test/nope:1"),
                new Step("refused-credentials", action("pull", LOCKED_REGISTRY + "/ironbell-test/busybox:1", 120,
                        "REGISTRY_USERNAME: ironbell\n  REGISTRY_PASSWORD: the-wrong-one", ""), "FAILED", "cannot pull " + LOCKED_REGISTRY),
                new Step("exits-non-zero", action("check", busybox, 120, "", "command: [\"sh\", \"-c\", \"echo no such disk >&2; exit 3\"]"),
                        "FAILED", "exited 3; last line: no such disk"),
                new Step("outlives-timeout", action("hang", busybox, 8, "", "command: [\"sleep\", \"600\"]"),
                        "TIMEOUT", "timeout of 8 s"),
                new Step("floods-output", action("flood", busybox, 300, "", "command: [\"sh\", \"-c\", \"seq 1 200000; echo flood done\"]"),
                        "SUCCESS", "exited 0"),
                new Step("provision", provisioning(metadata, sha256), "SUCCESS", "kexec into /boot/vmlinuz-" + version));
        String first = workflow(steps.get(0));
        Map<String, Double> stages = boot(steps, first);
        StringBuilder report = new StringBuilder("container actions, seconds from power-on:");
        stages.forEach((stage, s) -> report.append(String.format(" %s %.1f;", stage, s)));
        System.out.println(report);

        // the vendor's plugin, baked into the edition's in-memory OS, ran its action
        boolean greeted = false;
        for (JsonNode e : json(api("GET", "/workflows/" + workflows.get("provision") + "/events?limit=1000", null)).get("items")) {
            greeted |= e.path("action").asText().equals("vendor-greeting") && e.path("state").asText().equals("SUCCESS")
                    && e.path("message").asText().contains("greeted rack9");
        }
        assertTrue(greeted, "the vendor's action succeeded: " + json(api("GET", "/workflows/" + workflows.get("provision"), null)).toPrettyString());

        // the disk as the installed OS left it: what each action wrote is there
        Path disk = work.resolve("disk.raw");
        Result table = Shell.run(List.of("sfdisk", "-d", disk.toString()));
        assertEquals(0, table.status(), table.output());
        java.util.regex.Matcher root = java.util.regex.Pattern.compile("disk\\.raw2 : start=\\s*(\\d+)").matcher(table.output());
        assertTrue(table.output().contains("label: gpt") && table.output().contains("name=\"ESP\"") && root.find(),
                "rootio's partition table: " + table.output());
        long rootOffset = Long.parseLong(root.group(1)) * 512;
        Path mnt = Files.createDirectories(work.resolve("disk-mnt"));
        Result read = Shell.run(List.of("sh", "-c", "set -e; mount -o ro,loop,offset=" + rootOffset + " " + disk + " " + mnt
                + "; cat " + mnt + "/etc/hostname " + mnt + "/etc/ironbell-cexec " + mnt + "/boot/grub/grub.cfg; umount " + mnt
                // the EFI system partition's directory entries (this host's kernel may have no vfat to mount it with)
                + "; dd if=" + disk + " bs=512 skip=2048 count=65536 status=none | grep -a -o 'BOOTX64 EFI' | head -1"));
        assertEquals(0, read.status(), read.output());
        assertTrue(read.output().startsWith(HOSTNAME), "writefile's /etc/hostname: " + read.output());
        assertTrue(read.output().contains("cexec ran chrooted in " + HOSTNAME), "cexec's file, written inside the installed OS: " + read.output());
        assertTrue(read.output().contains("# written by grub2disk") && read.output().contains("metadata=" + metadata), "grub2disk's grub.cfg: "
                + read.output());
        assertTrue(read.output().contains("BOOTX64 EFI"), "grub2disk's GRUB on the EFI system partition (EFI/BOOT/BOOTX64.EFI): " + read.output());

        // the machine's next power-on, from its disk: the firmware starts GRUB, GRUB the installed OS
        double fromDisk = bootFromDisk();
        System.out.printf("container actions: from power-on to the installed OS booted by GRUB from the disk: %.1f s%n", fromDisk);
    }

    /** Powers the VM on with its disk first in the boot order; returns the seconds until the installed OS printed its hostname. */
    private static double bootFromDisk() throws Exception {
        Path serial = work.resolve("serial-disk.log");
        List<String> command = List.of("ip", "netns", "exec", NS, "timeout", "600", "qemu-system-x86_64",
                "-accel", "tcg", "-m", "1024", "-smp", "2", "-display", "none", "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + work.resolve("vars.fd"),
                "-drive", "if=none,id=d0,format=raw,file=" + work.resolve("disk.raw"), "-device", "virtio-blk-pci,drive=d0,bootindex=0",
                "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC + ",romfile=,bootindex=1");
        long start = System.nanoTime();
        Process vm = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("qemu-disk.log").toFile()).start();
        try {
            while (true) {
                double s = (System.nanoTime() - start) / 1e9;
                boolean exited = !vm.isAlive();
                String console = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                if (console.contains("IRONBELL-INSTALLED-OS hostname=" + HOSTNAME)) {
                    assertTrue(console.contains("grub2disk: booting /boot/vmlinuz-"), "GRUB's entry booted it:\n" + tail(serial));
                    return s;
                }
                assertTrue(!console.contains("IRONBELL-INSTALLED-OS failed"), "the installed OS failed:\n" + tail(serial));
                if (exited || s > 300) {
                    throw new AssertionError("the VM did not boot its installed OS from its disk in 300 s (qemu " + (exited ? "exited" : "running")
                            + "):\n" + tail(serial));
                }
                Thread.sleep(500);
            }
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The provisioning, Tinkerbell-style: containers and native plugins mixed. */
    private static String provisioning(String metadata, String sha256) {
        return """
                      - name: partition
                        image: %1$s/ironbell-test/rootio:1
                        timeout: 300
                        volumes: ["/dev:/dev"]
                        environment: {DEST_DISK: /dev/vda, FS_TYPE: ext4}
                      - name: install-os
                        image: quay.io/tinkerbell-actions/archive2disk:v1.0.0
                        timeout: 300
                        environment:
                          ARCHIVE_URL: %2$s/artifacts/images/os.tar.gz
                          ARCHIVE_TYPE: targz
                          TARFILE_CHECKSUM: sha256:%4$s
                          DEST_DISK: /dev/vda2
                          FS_TYPE: ext4
                          DEST_PATH: /
                      - name: hostname
                        image: quay.io/tinkerbell-actions/writefile:v1.0.0
                        timeout: 120
                        environment: {DEST_DISK: /dev/vda2, FS_TYPE: ext4, DEST_PATH: /etc/hostname, CONTENTS: "%3$s", MODE: "0644", UID: "0", GID: "0", DIRMODE: "0755"}
                      - name: vendor-greeting
                        image: ghcr.io/acme/hello:1
                        timeout: 120
                        environment: {NAME: rack9}
                      - name: chroot-command
                        image: %1$s/ironbell-test/cexec:1
                        timeout: 300
                        volumes: ["/dev:/dev"]
                        environment:
                          BLOCK_DEVICE: /dev/vda2
                          FS_TYPE: ext4
                          CHROOT: "y"
                          DEFAULT_INTERPRETER: "/bin/sh -c"
                          CMD_LINE: "echo cexec ran chrooted in $(cat /etc/hostname) > /etc/ironbell-cexec"
                      - name: bootloader
                        image: %1$s/ironbell-test/grub2disk:1
                        timeout: 300
                        volumes: ["/dev:/dev"]
                        environment:
                          GRUB_DISK: /dev/vda
                          GRUB_BLOCKDEVICE: /dev/vda2
                          FS_TYPE: ext4
                          GRUB_CMDLINE: "console=ttyS0,115200 metadata=%2$s"
                      - name: kexec
                        image: quay.io/tinkerbell-actions/kexec:v1.0.0
                        timeout: 300
                        environment: {BLOCK_DEVICE: /dev/vda2, FS_TYPE: ext4}
                """.formatted(REGISTRY, metadata, HOSTNAME, sha256);
    }

    private static String action(String name, String image, int timeout, String environment, String extra) {
        return "      - name: " + name + "\n        image: " + image + "\n        timeout: " + timeout + "\n"
                + (environment.isEmpty() ? "" : "        environment:\n          " + environment.replace("\n  ", "\n          ") + "\n")
                + (extra.isEmpty() ? "" : "        " + extra + "\n");
    }

    private static String workflow(Step step) throws IOException {
        String template = "version: \"0.1\"\nname: " + step.name() + "\nglobal_timeout: 1800\ntasks:\n  - name: t\n    worker: \"{{.device_1}}\"\n"
                + "    actions:\n" + step.actions().stripTrailing() + "\n";
        Http.Response t = api("POST", "/templates?name=" + step.name(), template);
        assertEquals(201, t.status(), t.body() + "\n" + template);
        String id = json(api("POST", "/workflows", "{\"template\":\"" + step.name() + "\",\"hardware\":{\"device_1\":\"" + MAC + "\"}}"))
                .get("id").asText();
        workflows.put(step.name(), id);
        return id;
    }

    /**
     * Powers the VM on, and as each workflow ends checks how and creates the next; returns the
     * seconds from power-on to each stage once the installed OS printed its hostname and powered off.
     */
    private static Map<String, Double> boot(List<Step> steps, String first) throws Exception {
        Path disk = work.resolve("disk.raw");
        Shell.run(List.of("truncate", "-s", "96M", disk.toString()));
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars.fd"));
        Path serial = work.resolve("serial.log");
        List<String> command = List.of("ip", "netns", "exec", NS, "timeout", Long.toString(LIMIT.toSeconds() + 60), "qemu-system-x86_64",
                "-accel", "tcg", "-m", "2048", "-smp", "2", "-display", "none", "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-drive", "if=virtio,format=raw,file=" + disk,
                "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC + ",romfile=", "-boot", "n");
        long start = System.nanoTime();
        Process vm = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("qemu.log").toFile()).start();
        Map<String, Double> stages = new LinkedHashMap<>();
        int current = 0;
        String id = first;
        try {
            while (true) {
                double s = (System.nanoTime() - start) / 1e9;
                boolean exited = !vm.isAlive();
                String console = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                if (console.contains("IRONBELL-INSTALLED-OS hostname=" + HOSTNAME)) {
                    stage(stages, "installed OS up", s, true);
                    break;
                }
                if (s > LIMIT.toSeconds() || exited) {
                    throw new AssertionError("the VM did not reach its installed OS in " + LIMIT + " (qemu " + (exited ? "exited" : "running")
                            + "); stages " + stages + "\nworkflow: " + api("GET", "/workflows/" + id, null).body() + "\nserial:\n" + tail(serial));
                }
                assertTrue(!console.contains("ironbell: the in-memory OS cannot go on") && !console.contains("IRONBELL-INSTALLED-OS failed"),
                        "the VM said it failed:\n" + tail(serial));
                stage(stages, "in-memory OS up", s, console.contains("ironbell: up: worker " + MAC));
                stage(stages, "Podman's API up", s, console.contains("ironbell: containers: Podman"));
                if (current < steps.size()) {
                    JsonNode w = json(api("GET", "/workflows/" + id, null));
                    String state = w.get("state").asText();
                    if (!state.equals("PENDING") && !state.equals("RUNNING")) {
                        Step step = steps.get(current);
                        String message = w.get("actions").get(w.get("actions").size() - 1).path("message").asText("");
                        String failed = "";
                        for (JsonNode a : w.get("actions")) {
                            if (!a.path("state").asText().equals("SUCCESS")) {
                                failed = a.path("message").asText("");
                                break;
                            }
                        }
                        String why = step.state().equals("SUCCESS") ? message : failed;
                        assertEquals(step.state(), state, step.name() + ": " + w.toPrettyString() + "\nlog:\n" + logs());
                        assertTrue(why.contains(step.message()) || w.path("message").asText("").contains(step.message()),
                                step.name() + " ends with '" + step.message() + "': " + w.toPrettyString());
                        stage(stages, step.name() + " " + state.toLowerCase(), s, true);
                        timings(id);
                        current++;
                        if (current < steps.size()) {
                            id = workflow(steps.get(current));
                        }
                    }
                }
                Thread.sleep(500);
            }
            assertTrue(vm.waitFor(120, TimeUnit.SECONDS), "the installed OS powers off after printing its hostname");
        } finally {
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertEquals(steps.size(), current, "every workflow ran");
        return stages;
    }

    /** Each action's seconds from RUNNING to its end, from the workflow's events. */
    private static void timings(String workflow) throws IOException {
        Map<String, Instant> running = new LinkedHashMap<>();
        StringBuilder out = new StringBuilder("container actions: workflow " + workflow + ":");
        for (JsonNode e : json(api("GET", "/workflows/" + workflow + "/events?limit=1000", null)).get("items")) {
            if (!e.hasNonNull("action")) {
                continue;
            }
            String action = e.get("action").asText();
            Instant at = Instant.parse(e.get("at").asText());
            if (e.get("state").asText().equals("RUNNING")) {
                running.putIfAbsent(action, at);
            } else if (running.containsKey(action) && !e.get("state").asText().equals("RUNNING")) {
                out.append(String.format(" %s %s %.1f s;", action, e.get("state").asText(),
                        Duration.between(running.remove(action), at).toMillis() / 1000.0));
            }
        }
        System.out.println(out);
    }

    private static void stage(Map<String, Double> stages, String name, double seconds, boolean reached) {
        if (reached && !stages.containsKey(name)) {
            stages.put(name, seconds);
            System.out.printf("container actions: %s at %.1f s%n", name, seconds);
        }
    }

    /**
     * The OS as a tarball for archive2disk: Debian's kernel, the test OS's initramfs, and a busybox
     * with its links, so that cexec has a shell to chroot into.
     */
    private static void buildOsArchive(String version, Path out) throws Exception {
        Path root = Files.createDirectories(work.resolve("os-root"));
        Files.createDirectories(root.resolve("boot"));
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.copy(TestOs.debianKernel(), root.resolve("boot/vmlinuz-" + version));
        TestOs.installedOs(work.resolve("installed-root"), version, root.resolve("boot/initrd.img-" + version));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Result r = Shell.run(List.of("sh", "-c", "set -e; cd " + root + " && for l in sh cat echo ls; do ln -s busybox bin/$l; done"
                + " && tar -czf " + out + " ."));
        assertEquals(0, r.status(), r.output());
    }

    private static String logs() throws Exception {
        Result logs = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "logs", HOSTNAME, "--tail", "60", "--server", server.secureUrl(""),
                "--token", token));
        return logs.output();
    }

    private static String tail(Path file) throws IOException {
        return ItApi.tail(file, 8000);
    }

    private static Http.Response api(String method, String path, String body) {
        return ItApi.call(server, token, method, path, body);
    }

    private static JsonNode json(Http.Response r) throws IOException {
        return ItApi.json(r);
    }
}
