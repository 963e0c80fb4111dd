package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
import io.ironbell.testing.IpmiSim;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.VmBmc;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Machines provisioned with no hand on them: powered-off QEMU VMs, one whose BMC is OpenIPMI's
 * simulator (ipmi_sim, with QEMU's ipmi-bmc-extern device on its VM port), one whose BMC is the
 * project's Redfish service, both driving their VM through the project's test BMC (vmbmc.py). A
 * Tinkerbell user's objects are applied (Secrets, Rufio Machines, Hardware with bmcRef and network
 * boot off, Template, Workflows with bootOptions toggleAllowNetboot and netboot); the server powers
 * each VM on to boot from the network, it installs a UEFI-bootable disk image and reboots through
 * its firmware, and comes up from its disk because its BMC was told so. In a network namespace of
 * its own; UEFI firmware (OVMF) under TCG.
 */
class BmcIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibm" + ID;
    private static final String BRIDGE = "bb" + ID;
    private static final String TAP = "t" + ID + "b";
    private static final String MAC = "52:54:00:b3:c0:01";
    private static final String HOSTNAME = "bmc-node-1";
    /** The VM netbooted through Redfish, beside the one netbooted through IPMI. */
    private static final String REDFISH_MAC = "52:54:00:b3:c0:03";
    private static final String REDFISH_HOSTNAME = "bmc-node-3";
    private static final Duration LIMIT = Duration.ofMinutes(15);
    private static Path work;
    private static Path home;
    private static ServerProcess server;
    private static String token;
    private static final List<AutoCloseable> closing = new ArrayList<>();
    /** The installed OS's disk image, made once for the tests that install it. */
    private static Path uefiImage;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("bmc-it");
        Shell.require("BmcIT", List.of("ip", "qemu-system-x86_64", "ipmi_sim", "ipmitool", "grub-mkstandalone", "mkfs.vfat", "mcopy", "sfdisk", "zstd"));
        for (String file : List.of("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd",
                DISTRIBUTION + "/data/artifacts/osie/vmlinuz", DISTRIBUTION + "/data/artifacts/osie/initramfs")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare and build the distribution");
        }
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.236.0.1/24", "dev", BRIDGE}, {"ip", "-n", NS, "link", "set", BRIDGE, "up"},
            {"ip", "-n", NS, "tuntap", "add", TAP, "mode", "tap"}, {"ip", "-n", NS, "link", "set", TAP, "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", TAP, "up"},
            {"ip", "link", "add", "b" + ID + "r", "type", "veth", "peer", "name", "b" + ID + "a"},
            {"ip", "link", "set", "b" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.236.1.1/30", "dev", "b" + ID + "r"}, {"ip", "link", "set", "b" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.236.1.2/30", "dev", "b" + ID + "a"}, {"ip", "-n", NS, "link", "set", "b" + ID + "a", "up"},
        });
        home = ServerProcess.install(DISTRIBUTION, work.resolve("home"));
        server = ServerProcess.startWrappedIn(home, Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                "IRONBELL_TFTP_ENABLED", "true", "IRONBELL_SYSLOG_ENABLED", "true", "IRONBELL_BMC_POWER_POLL_SECONDS", "5"),
                List.of("ip", "netns", "exec", NS), "10.236.1.2");
        server.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "b" + ID + "r"));
    }

    @Test
    void poweredOffVmsArePoweredOnThroughIpmiAndRedfishNetbootInstallAndComeUpFromTheirDisks() throws Exception {
        String metadata = "http://10.236.0.1:" + server.httpPort();
        Path image = uefiDiskImage(metadata);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(image)));
        Files.createDirectories(home.resolve("data/artifacts/images"));
        Files.copy(image, home.resolve("data/artifacts/images/uefi-os.img.zst"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        // the BMC: ipmi_sim in the namespace, its chassis the test BMC driving QEMU with OVMF and the simulator's KCS device
        Path chassisDir = work.resolve("bmc/chassis");
        int vmPort = FreePort.find();
        Path disk = work.resolve("disk.raw");
        Shell.run(List.of("truncate", "-s", "96M", disk.toString()));
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars.fd"));
        Path serial = work.resolve("serial.log");
        List<String> base = List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1536", "-smp", "2", "-display", "none", "-monitor", "none",
                "-chardev", "file,id=s0,path=" + serial + ",append=on", "-serial", "chardev:s0",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive", "if=pflash,format=raw,file=" + vars,
                "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
                "-drive", "if=none,id=d0,format=raw,file=" + disk,
                "-chardev", "socket,id=ipmi0,host=127.0.0.1,port=" + vmPort + ",reconnect=10",
                "-device", "ipmi-bmc-extern,id=bmc0,chardev=ipmi0", "-device", "isa-ipmi-kcs,bmc=bmc0");
        String nic = "virtio-net-pci,netdev=n0,mac=" + MAC + ",romfile=";
        VmBmc.describeVm(chassisDir, base, "ovmf",
                List.of("-device", nic + ",bootindex=0", "-device", "virtio-blk-pci,drive=d0,bootindex=1"),
                List.of("-device", nic + ",bootindex=1", "-device", "virtio-blk-pci,drive=d0,bootindex=0"));
        int ipmiPort = FreePort.find();
        IpmiSim bmc = IpmiSim.start(work.resolve("bmc"), "127.0.0.1", ipmiPort, "admin", "ipmi-s3cret", VmBmc.chassisProgram(work),
                vmPort, List.of("ip", "netns", "exec", NS));
        closing.add(() -> VmBmc.powerOff(chassisDir));
        closing.add(bmc);

        // the second VM, at the same time: the same firmware and NIC, its BMC the Redfish service over TLS
        Path redfishDir = work.resolve("redfish-netboot/chassis");
        Path redfishDisk = work.resolve("disk-redfish.raw");
        Shell.run(List.of("truncate", "-s", "96M", redfishDisk.toString()));
        Path redfishVars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars-redfish.fd"));
        Path redfishSerial = work.resolve("serial-redfish.log");
        String redfishNic = "virtio-net-pci,netdev=n0,mac=" + REDFISH_MAC + ",romfile=";
        VmBmc.describeVm(redfishDir, List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1536", "-smp", "2", "-display", "none",
                "-monitor", "none", "-chardev", "file,id=s0,path=" + redfishSerial + ",append=on", "-serial", "chardev:s0",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,format=raw,file=" + redfishVars, "-netdev", "tap,id=n0,ifname=" + TAP + "n,script=no,downscript=no",
                "-drive", "if=none,id=d0,format=raw,file=" + redfishDisk), "ovmf",
                List.of("-device", redfishNic + ",bootindex=0", "-device", "virtio-blk-pci,drive=d0,bootindex=1"),
                List.of("-device", redfishNic + ",bootindex=1", "-device", "virtio-blk-pci,drive=d0,bootindex=0"));
        Shell.steps(new String[][] {{"ip", "-n", NS, "tuntap", "add", TAP + "n", "mode", "tap"},
            {"ip", "-n", NS, "link", "set", TAP + "n", "master", BRIDGE}, {"ip", "-n", NS, "link", "set", TAP + "n", "up"}});
        io.ironbell.testing.TestPki redfishPki = io.ironbell.testing.TestPki.create(work.resolve("pki-netboot"));
        redfishPki.issue("bmc", List.of("127.0.0.1"));
        int redfishPort = FreePort.find();
        VmBmc redfish = VmBmc.redfish(redfishDir, "127.0.0.1", redfishPort, "operator", "redfish-n3tboot",
                work.resolve("pki-netboot/bmc.pem"), redfishPki.key("bmc"), List.of("ip", "netns", "exec", NS));
        closing.add(redfish);

        Path manifests = work.resolve("tinkerbell.yaml");
        Files.writeString(manifests, """
                apiVersion: v1
                kind: Secret
                metadata: {name: bmc-creds, namespace: tink-system}
                type: kubernetes.io/basic-auth
                stringData: {username: admin, password: ipmi-s3cret}
                ---
                apiVersion: bmc.tinkerbell.org/v1alpha1
                kind: Machine
                metadata: {name: %1$s-bmc, namespace: tink-system}
                spec:
                  connection:
                    host: 127.0.0.1
                    port: %5$d
                    authSecretRef: {name: bmc-creds, namespace: tink-system}
                    insecureTLS: false
                    providerOptions:
                      preferredOrder: [ipmitool]
                      ipmitool: {cipherSuite: "3"}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: %1$s, namespace: tink-system}
                spec:
                  bmcRef: {apiGroup: bmc.tinkerbell.org, kind: Machine, name: %1$s-bmc}
                  disks: [{device: /dev/vda}]
                  metadata:
                    instance: {hostname: %1$s, id: "%2$s"}
                  interfaces:
                    - dhcp: {mac: "%2$s", hostname: %1$s, uefi: true, arch: x86_64,
                             ip: {address: 10.236.0.20, netmask: 255.255.255.0, gateway: 10.236.0.1}}
                      netboot: {allowPXE: false, allowWorkflow: true}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: install-uefi, namespace: tink-system}
                spec:
                  data: |
                    version: "0.1"
                    name: install-uefi
                    global_timeout: 1800
                    tasks:
                      - name: install
                        worker: "{{.device_1}}"
                        actions:
                          - name: stream-image
                            image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                            timeout: 900
                            environment:
                              IMG_URL: %3$s/artifacts/images/uefi-os.img.zst
                              DEST_DISK: {{ index .Hardware.Disks 0 }}
                              COMPRESSED: "true"
                              IMG_CHECKSUM: sha256:%4$s
                          - name: reboot
                            image: ghcr.io/jacobweinstock/waitdaemon:0.2.1
                            timeout: 90
                            pid: host
                            command: ["reboot"]
                            environment: {IMAGE: alpine, WAIT_SECONDS: "5"}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: install-%1$s, namespace: tink-system}
                spec:
                  templateRef: install-uefi
                  hardwareRef: %1$s
                  hardwareMap: {device_1: "%2$s"}
                  bootOptions: {toggleAllowNetboot: true, bootMode: netboot}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: redfish-creds, namespace: tink-system}
                type: kubernetes.io/basic-auth
                stringData: {username: operator, password: redfish-n3tboot}
                ---
                apiVersion: bmc.tinkerbell.org/v1alpha1
                kind: Machine
                metadata: {name: %6$s-bmc, namespace: tink-system}
                spec:
                  connection:
                    host: 127.0.0.1
                    port: %8$d
                    authSecretRef: {name: redfish-creds, namespace: tink-system}
                    insecureTLS: true
                    providerOptions:
                      preferredOrder: [redfish]
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: %6$s, namespace: tink-system}
                spec:
                  bmcRef: {apiGroup: bmc.tinkerbell.org, kind: Machine, name: %6$s-bmc}
                  disks: [{device: /dev/vda}]
                  metadata:
                    instance: {hostname: %6$s, id: "%7$s"}
                  interfaces:
                    - dhcp: {mac: "%7$s", hostname: %6$s, uefi: true, arch: x86_64,
                             ip: {address: 10.236.0.22, netmask: 255.255.255.0, gateway: 10.236.0.1}}
                      netboot: {allowPXE: false, allowWorkflow: true}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: install-%6$s, namespace: tink-system}
                spec:
                  templateRef: install-uefi
                  hardwareRef: %6$s
                  hardwareMap: {device_1: "%7$s"}
                  bootOptions: {toggleAllowNetboot: true, bootMode: netboot}
                """.formatted(HOSTNAME, MAC, metadata, sha256, ipmiPort, REDFISH_HOSTNAME, REDFISH_MAC, redfishPort));
        assertTrue(!Files.exists(chassisDir.resolve("qemu.pid")), "the VM is off before anything is applied");
        assertTrue(!Files.exists(redfishDir.resolve("qemu.pid")), "the Redfish VM is off before anything is applied");
        long t0 = System.nanoTime();
        Result applied = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "apply", "-f", manifests.toString(), "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, applied.status(), applied.output());
        assertTrue(applied.output().contains("machine/" + HOSTNAME + "-bmc created"), applied.output());
        assertTrue(applied.output().contains("machine/" + REDFISH_HOSTNAME + "-bmc created"), applied.output());
        String wf = "install-" + HOSTNAME;
        String redfishWf = "install-" + REDFISH_HOSTNAME;

        Map<String, Double> stages = new LinkedHashMap<>();
        try {
            while (!stages.containsKey("installed OS up from its disk") || !stages.containsKey("redfish: installed OS up from its disk")) {
                double s = (System.nanoTime() - t0) / 1e9;
                String console = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                String redfishConsole = Files.exists(redfishSerial) ? Files.readString(redfishSerial, StandardCharsets.ISO_8859_1) : "";
                JsonNode w = json(api("GET", "/workflows/" + wf, null));
                JsonNode rw = json(api("GET", "/workflows/" + redfishWf, null));
                String state = w.get("state").asText();
                String redfishState = rw.get("state").asText();
                if (s > LIMIT.toSeconds() || List.of("FAILED", "TIMEOUT").contains(state) || List.of("FAILED", "TIMEOUT").contains(redfishState)) {
                    throw new AssertionError("not provisioned (" + state + ", " + redfishState + " after " + (int) s + " s); stages " + stages
                            + "\nworkflows: " + w + "\n" + rw + "\njobs: " + api("GET", "/bmc/jobs", null).body()
                            + "\nIPMI chassis log:\n" + read(chassisDir.resolve("log")) + "\nserial:\n" + tail(serial)
                            + "\nRedfish chassis log:\n" + read(redfishDir.resolve("log")) + "\nserial:\n" + tail(redfishSerial));
                }
                stage(stages, "netboot job done", s, jobState(wf + "-netboot").equals("SUCCEEDED"));
                stage(stages, "VM powered on", s, Files.exists(chassisDir.resolve("qemu.pid")));
                stage(stages, "in-memory OS up", s, console.contains("ironbell: up: worker " + MAC));
                stage(stages, "workflow succeeded", s, state.equals("SUCCESS"));
                stage(stages, "done job done", s, jobState(wf + "-done").equals("SUCCEEDED"));
                stage(stages, "installed OS up from its disk", s, console.contains("IRONBELL-INSTALLED-OS hostname=" + HOSTNAME));
                stage(stages, "redfish: netboot job done", s, jobState(redfishWf + "-netboot").equals("SUCCEEDED"));
                stage(stages, "redfish: in-memory OS up", s, redfishConsole.contains("ironbell: up: worker " + REDFISH_MAC));
                stage(stages, "redfish: workflow succeeded", s, redfishState.equals("SUCCESS"));
                stage(stages, "redfish: done job done", s, jobState(redfishWf + "-done").equals("SUCCEEDED"));
                stage(stages, "redfish: installed OS up from its disk", s,
                        redfishConsole.contains("IRONBELL-INSTALLED-OS hostname=" + REDFISH_HOSTNAME));
                Thread.sleep(500);
            }
        } finally {
            System.out.println("BmcIT ipmi and redfish: " + stages);
        }
        // the netboot job ran in order; toggleAllowNetboot allowed PXE during the workflow and took it back after
        JsonNode netboot = json(api("GET", "/bmc/jobs/" + wf + "-netboot", null));
        assertEquals(List.of("POWER:OFF", "BOOT:PXE", "POWER:ON"), tasks(netboot));
        assertTrue(netboot.at("/tasks/1/action/efiBoot").asBoolean(), "EFI, for the hardware says uefi: " + netboot);
        assertEquals(List.of("BOOT:DISK"), tasks(json(api("GET", "/bmc/jobs/" + wf + "-done", null))));
        JsonNode hw = json(api("GET", "/hardware/" + HOSTNAME, null));
        assertEquals(false, hw.at("/network/interfaces/0/netboot/allow_pxe").asBoolean(true), "network boot taken back: " + hw);
        assertEquals(HOSTNAME + "-bmc", hw.at("/bmc/machine").asText(), hw.toString());
        List<String> chassis = Files.readAllLines(chassisDir.resolve("log"));
        int pxe = indexOf(chassis, "ipmi set boot pxe");
        int on = indexOf(chassis, "ipmi set power 1");
        int toDisk = indexOf(chassis, "ipmi set boot default");
        assertTrue(pxe >= 0 && on > pxe && toDisk > on, "boot pxe, power on, then next boot disk, over IPMI: " + chassis);
        assertTrue(chassis.stream().anyMatch(l -> l.contains("qemu ended: guest-reset")), "the VM rebooted through its firmware: " + chassis);
        String console = Files.readString(serial, StandardCharsets.ISO_8859_1);
        assertTrue(console.contains("IRONBELL-INSTALLED-OS booted with metadata=" + metadata), tail(serial));
        // the installed OS powered itself off: the BMC says so
        Await.until("power off seen by the poller", Duration.ofSeconds(60), () -> {
            try {
                return json(api("GET", "/bmc/machines/" + HOSTNAME + "-bmc", null)).get("powerState").asText().equals("OFF") ? true : null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Result exported = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "get", "machine", HOSTNAME + "-bmc", "--server",
                server.secureUrl(""), "--token", token));
        assertTrue(exported.output().contains("powerState: \"off\"") && exported.output().contains("type: Contactable"), exported.output());
        // the Redfish VM: the same jobs, carried out as Redfish's boot override and reset
        JsonNode redfishNetboot = json(api("GET", "/bmc/jobs/" + redfishWf + "-netboot", null));
        assertEquals(List.of("POWER:OFF", "BOOT:PXE", "POWER:ON"), tasks(redfishNetboot));
        assertEquals(List.of("BOOT:DISK"), tasks(json(api("GET", "/bmc/jobs/" + redfishWf + "-done", null))));
        JsonNode redfishHw = json(api("GET", "/hardware/" + REDFISH_HOSTNAME, null));
        assertEquals(false, redfishHw.at("/network/interfaces/0/netboot/allow_pxe").asBoolean(true), "network boot taken back: " + redfishHw);
        List<String> redfishChassis = Files.readAllLines(redfishDir.resolve("log"));
        int override = indexOf(redfishChassis, "boot pxe once");
        int fromPxe = indexOf(redfishChassis, "start qemu, boot pxe (once)");
        int overrideDisk = indexOf(redfishChassis, "boot disk persistent");
        // the reboot may come a moment before or after the override to disk; either way the VM starts from its disk next
        boolean fromDisk = redfishChassis.subList(Math.max(fromPxe + 1, 0), redfishChassis.size()).stream()
                .anyMatch(l -> l.contains("start qemu, boot disk") || l.contains("start qemu, boot default"));
        assertTrue(override >= 0 && fromPxe > override && overrideDisk > fromPxe && fromDisk,
                "boot override pxe, power on from the network, override disk, up from the disk, over Redfish: " + redfishChassis);
        assertTrue(redfishChassis.stream().anyMatch(l -> l.contains("\"PATCH /redfish/v1/Systems/")), redfishChassis.toString());
        String redfishConsoleText = Files.readString(redfishSerial, StandardCharsets.ISO_8859_1);
        assertTrue(redfishConsoleText.contains("IRONBELL-INSTALLED-OS booted with metadata=" + metadata), tail(redfishSerial));
        StringBuilder report = new StringBuilder("BmcIT: powered-off VMs provisioned through IPMI and Redfish, seconds from apply:");
        stages.forEach((k, v) -> report.append(String.format(" %s %.1f;", k, v)));
        System.out.println(report);
    }

    /**
     * Redfish and virtual media: a VM that cannot boot from the network at all (an e1000 NIC
     * without option ROM under OVMF, which has no driver for it) is provisioned by an isoboot
     * workflow: the server inserts its ISO of the in-memory OS, patched with this machine's kernel
     * parameters, into the BMC's virtual CD and boots it; the install ends with next boot disk and
     * the media ejected. The Redfish service (the project's, over TLS from a CA of this test's)
     * is first checked with Ironic's sushy.
     */
    @Test
    void aVmWithoutNetworkBootIsProvisionedFromTheServersIsoThroughRedfishVirtualMedia() throws Exception {
        String metadata = "http://10.236.0.1:" + server.httpPort();
        Path image = home.resolve("data/artifacts/images/uefi-os.img.zst");
        Files.createDirectories(image.getParent());
        Files.copy(uefiDiskImage(metadata), image, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(image)));
        String mac = "52:54:00:b3:c0:02";
        String name = "iso-node-2";

        io.ironbell.testing.TestPki pki = io.ironbell.testing.TestPki.create(work.resolve("pki"));
        pki.issue("bmc", List.of("127.0.0.1"));
        Path chassisDir = work.resolve("redfish/chassis");
        Path disk = work.resolve("disk-iso.raw");
        Shell.run(List.of("truncate", "-s", "96M", disk.toString()));
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars-iso.fd"));
        Path serial = work.resolve("serial-iso.log");
        VmBmc.describeVm(chassisDir, List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1536", "-smp", "2", "-display", "none",
                "-monitor", "none", "-chardev", "file,id=s0,path=" + serial + ",append=on", "-serial", "chardev:s0",
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive", "if=pflash,format=raw,file=" + vars,
                "-netdev", "tap,id=n0,ifname=" + TAP + "i,script=no,downscript=no", "-device", "e1000,netdev=n0,mac=" + mac + ",romfile=",
                "-drive", "if=none,id=d0,format=raw,file=" + disk), "ovmf", List.of(),
                List.of("-device", "virtio-blk-pci,drive=d0,bootindex=1"));
        Shell.steps(new String[][] {{"ip", "-n", NS, "tuntap", "add", TAP + "i", "mode", "tap"},
            {"ip", "-n", NS, "link", "set", TAP + "i", "master", BRIDGE}, {"ip", "-n", NS, "link", "set", TAP + "i", "up"}});
        int port = FreePort.find();
        VmBmc redfish = VmBmc.redfish(chassisDir, "127.0.0.1", port, "root", "redfish-s3cret", work.resolve("pki/bmc.pem"), pki.key("bmc"),
                List.of("ip", "netns", "exec", NS));
        closing.add(redfish);

        // before it is trusted with anything: Ironic's own library drives it
        io.ironbell.testing.Sh.Result sushy = redfish.checkWithSushy("root", "redfish-s3cret", pki.ca(), metadata + "/artifacts/osie/vmlinuz",
                List.of("ip", "netns", "exec", NS));
        assertEquals(0, sushy.status(), sushy.output() + sushy.errors() + "\nthe Redfish service's log:\n" + tail(chassisDir.resolve("log")));
        System.out.println("BmcIT: the Redfish service as sushy sees it:\n" + sushy.output().strip());

        assertEquals(201, api("POST", "/hardware", """
                {"id": "%1$s", "metadata": {"instance": {"hostname": "%1$s", "id": "%2$s"}},
                 "network": {"interfaces": [{"dhcp": {"mac": "%2$s", "hostname": "%1$s", "uefi": true, "arch": "x86_64",
                   "ip": {"address": "10.236.0.21", "netmask": "255.255.255.0", "gateway": "10.236.0.1"}},
                   "netboot": {"allow_pxe": false, "allow_workflow": true}}]}}
                """.formatted(name, mac)).status());
        Files.writeString(work.resolve("redfish.pw"), "redfish-s3cret\n");
        Result created = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "bmc", "machine", "create", name + "-bmc", "--host",
                "127.0.0.1", "--port", Integer.toString(port), "--driver", "redfish", "--username", "root", "--password-file",
                work.resolve("redfish.pw").toString(), "--bmc-ca", pki.ca().toString(), "--hardware", mac, "--server", server.secureUrl(""),
                "--token", token));
        assertEquals(0, created.status(), created.output());
        Result status = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "bmc", "power", name + "-bmc", "status", "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, status.status(), status.output());
        assertTrue(status.output().contains("power is off"), status.output());
        JsonNode inventory = json(api("GET", "/bmc/machines/" + name + "-bmc/inventory", null)).get("inventory");
        assertEquals("QEMU", inventory.path("manufacturer").asText(), inventory.toString());
        Result sensors = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "bmc", "sensors", name + "-bmc", "--server",
                server.secureUrl(""), "--token", token));
        assertTrue(sensors.output().contains("CPU1 Temp") && sensors.output().contains("41"), sensors.output());

        Path manifests = work.resolve("isoboot.yaml");
        Files.writeString(manifests, """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: install-from-iso}
                spec:
                  data: |
                    version: "0.1"
                    name: install-from-iso
                    global_timeout: 1800
                    tasks:
                      - name: install
                        worker: "{{.device_1}}"
                        actions:
                          - name: stream-image
                            image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                            timeout: 900
                            environment: {IMG_URL: %1$s/artifacts/images/uefi-os.img.zst, DEST_DISK: /dev/vda, COMPRESSED: "true",
                                          IMG_CHECKSUM: "sha256:%2$s"}
                          - name: reboot
                            image: ghcr.io/jacobweinstock/waitdaemon:0.2.1
                            timeout: 90
                            command: ["reboot"]
                            environment: {WAIT_SECONDS: "8"}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: iso-%3$s}
                spec:
                  templateRef: install-from-iso
                  hardwareRef: %3$s
                  hardwareMap: {device_1: "%4$s"}
                  bootOptions: {bootMode: isoboot}
                """.formatted(metadata, sha256, name, mac));
        long t0 = System.nanoTime();
        Result applied = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "apply", "-f", manifests.toString(), "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, applied.status(), applied.output());
        String wf = "iso-" + name;
        Map<String, Double> stages = new LinkedHashMap<>();
        try {
            while (!stages.containsKey("installed OS up from its disk")) {
                double s = (System.nanoTime() - t0) / 1e9;
                String console = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                JsonNode w = json(api("GET", "/workflows/" + wf, null));
                String state = w.get("state").asText();
                if (s > LIMIT.toSeconds() || state.equals("FAILED") || state.equals("TIMEOUT")) {
                    throw new AssertionError("not provisioned (" + state + " after " + (int) s + " s); stages " + stages + "\nworkflow: " + w
                            + "\njobs: " + api("GET", "/bmc/jobs?machine=" + name + "-bmc", null).body() + "\nchassis log:\n"
                            + read(chassisDir.resolve("log")) + "\nserial:\n" + tail(serial));
                }
                stage(stages, "iso-mount job done", s, jobState(wf + "-iso-mount").equals("SUCCEEDED"));
                stage(stages, "in-memory OS up from the ISO", s, console.contains("ironbell: up: worker " + mac));
                stage(stages, "workflow succeeded", s, state.equals("SUCCESS"));
                stage(stages, "done job done", s, jobState(wf + "-done").equals("SUCCEEDED"));
                stage(stages, "installed OS up from its disk", s, console.contains("IRONBELL-INSTALLED-OS hostname=" + name));
                Thread.sleep(500);
            }
        } finally {
            System.out.println("BmcIT redfish: " + stages);
        }
        JsonNode mount = json(api("GET", "/bmc/jobs/" + wf + "-iso-mount", null));
        List<String> tasks = tasks(mount);
        assertEquals(List.of("POWER:OFF", "MEDIA:", "BOOT:CDROM", "POWER:ON"), List.of(tasks.get(0), tasks.get(1), tasks.get(3), tasks.get(4)));
        assertTrue(tasks.get(2).matches("MEDIA:http://10\\.236\\.0\\.1:\\d+/iso/ibb_[^/]+/ironbell\\.iso"), tasks.toString());
        assertEquals(List.of("MEDIA:", "BOOT:DISK"), tasks(json(api("GET", "/bmc/jobs/" + wf + "-done", null))));
        List<String> chassis = Files.readAllLines(chassisDir.resolve("log"));
        assertTrue(chassis.stream().anyMatch(l -> l.contains("\"POST /redfish/v1/Managers/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia")),
                chassis.toString());
        assertTrue(chassis.stream().anyMatch(l -> l.contains("start qemu, boot cdrom (once)")), chassis.toString());
        assertTrue(chassis.stream().anyMatch(l -> l.contains("start qemu, boot disk (persistent)")), "after the reboot, from its disk: " + chassis);
        // the ISO the BMC fetched carries this machine's parameters where the placeholder was, in both boot loaders' configs
        byte[] fetched = Files.readAllBytes(chassisDir.resolve("media.iso"));
        String text = new String(fetched, StandardCharsets.ISO_8859_1);
        assertEquals(-1, text.indexOf("IRONBELL-KERNEL-PARAMETERS"), "no placeholder left");
        assertEquals(2, text.split("ironbell.worker=" + mac, -1).length - 1, "both configs patched");
        assertEquals(Files.size(home.resolve("data/artifacts/osie/ironbell.iso")), fetched.length, "same size as the distribution's ISO");
        String console = Files.readString(serial, StandardCharsets.ISO_8859_1);
        assertTrue(console.contains("IRONBELL-INSTALLED-OS booted with metadata=" + metadata), tail(serial));
        StringBuilder report = new StringBuilder("BmcIT: VM without network boot provisioned from the ISO through Redfish, seconds from apply:");
        stages.forEach((k, v) -> report.append(String.format(" %s %.1f;", k, v)));
        System.out.println(report);
    }

    /**
     * customboot's preparing actions run as a job; a boot job that fails fails its workflow with
     * the job's reason; a workflow that asks for a boot mode for a machine without a BMC fails saying so.
     */
    @Test
    void bootModesFailTheirWorkflowWithTheReasonWhenTheBmcCannotDoIt() throws Exception {
        IpmiSim sim = IpmiSim.start(work.resolve("custom-bmc"), "127.0.0.1", FreePort.find(), "admin", "custom-pw",
                IpmiSim.stateScript(work), 0, List.of("ip", "netns", "exec", NS));
        closing.add(sim);
        for (String[] m : new String[][] {{"custom-1", "52:54:00:b3:c0:11", "custom-pw"}, {"custom-2", "52:54:00:b3:c0:12", "not-it"},
                {"custom-3", "52:54:00:b3:c0:13", null}}) {
            assertEquals(201, api("POST", "/hardware", "{\"id\": \"" + m[0] + "\", \"network\": {\"interfaces\": [{\"dhcp\": {\"mac\": \""
                    + m[1] + "\"}, \"netboot\": {\"allow_pxe\": true, \"allow_workflow\": true}}]}}").status());
            if (m[2] != null) {
                assertEquals(201, api("POST", "/bmc/machines", "{\"name\": \"" + m[0] + "-bmc\", \"host\": \"127.0.0.1\", \"port\": "
                        + sim.port() + ", \"driver\": \"ipmi\", \"username\": \"admin\", \"password\": \"" + m[2]
                        + "\", \"hardwareId\": \"" + m[0] + "\"}").status());
            }
        }
        Path file = work.resolve("customboot.yaml");
        StringBuilder yaml = new StringBuilder("""
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: noop}
                spec:
                  data: |
                    version: "0.1"
                    name: noop
                    global_timeout: 600
                    tasks:
                      - name: t
                        worker: "{{.device_1}}"
                        actions: [{name: a, image: quay.io/tinkerbell-actions/writefile:v1.0.0, timeout: 60}]
                """);
        for (String[] w : new String[][] {{"custom-1", "52:54:00:b3:c0:11"}, {"custom-2", "52:54:00:b3:c0:12"}, {"custom-3", "52:54:00:b3:c0:13"}}) {
            yaml.append("""
                    ---
                    apiVersion: tinkerbell.org/v1alpha1
                    kind: Workflow
                    metadata: {name: cb-%1$s}
                    spec:
                      templateRef: noop
                      hardwareRef: %1$s
                      hardwareMap: {device_1: "%2$s"}
                      bootOptions:
                        bootMode: customboot
                        custombootConfig:
                          preparingActions:
                            - powerAction: "off"
                            - bootDevice: {device: pxe, efiBoot: true}
                            - powerAction: "on"
                    """.formatted(w[0], w[1]));
        }
        Files.writeString(file, yaml.toString());
        Result applied = Shell.run(List.of(home.resolve("bin/ironbell").toString(), "apply", "-f", file.toString(), "--server",
                server.secureUrl(""), "--token", token));
        assertEquals(0, applied.status(), applied.output());

        JsonNode ok = Await.until("cb-custom-1's preparing job", Duration.ofSeconds(60), () -> {
            try {
                Http.Response r = api("GET", "/bmc/jobs/cb-custom-1-customboot-prepare", null);
                JsonNode j = r.status() == 200 ? Json.mapper().readTree(r.body()) : null;
                return j != null && j.get("state").asText().matches("SUCCEEDED|FAILED") ? j : null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).value();
        assertEquals("SUCCEEDED", ok.get("state").asText(), ok.toString());
        assertEquals(List.of("POWER:OFF", "BOOT:PXE", "POWER:ON"), tasks(ok));
        assertEquals("1", Files.readString(sim.chassis().resolve("power")).strip());
        assertEquals("pxe", Files.readString(sim.chassis().resolve("boot")).strip());
        assertEquals("PENDING", json(api("GET", "/workflows/cb-custom-1", null)).get("state").asText(), "waits for its machine");

        for (String[] expected : new String[][] {{"cb-custom-2", "BMC job cb-custom-2-customboot-prepare failed: task 0 (power off) failed: "
                + "the BMC at 127.0.0.1:" + sim.port() + " refused the user admin or its password"},
            {"cb-custom-3", "bootOptions.bootMode customboot: hardware custom-3 has no BMC"}}) {
            JsonNode failed = Await.until(expected[0] + " failed", Duration.ofSeconds(60), () -> {
                try {
                    JsonNode w = json(api("GET", "/workflows/" + expected[0], null));
                    return w.get("state").asText().equals("FAILED") ? w : null;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).value();
            String events = api("GET", "/workflows/" + expected[0] + "/events", null).body();
            assertTrue(events.contains(expected[1]), "the reason in " + expected[0] + "'s events: " + events + "\n" + failed);
        }
    }

    /** A vendor's driver dropped into deploy/ while the server runs serves from the next task on, and stops with its removal. */
    @Test
    void aVendorsDriverIsHotDeployedAndRemoved() throws Exception {
        Path jar = Path.of(System.getProperty("ironbell.exampleBmcDriverJar"));
        IpmiSim sim = IpmiSim.start(work.resolve("acme-bmc"), "127.0.0.1", FreePort.find(), "admin", "acme-pw",
                IpmiSim.stateScript(work), 0, List.of("ip", "netns", "exec", NS));
        closing.add(sim);
        assertEquals(201, api("POST", "/bmc/machines", "{\"name\": \"acme-1\", \"host\": \"127.0.0.1\", \"port\": " + sim.port()
                + ", \"driver\": \"acme\", \"username\": \"admin\", \"password\": \"acme-pw\"}").status());
        JsonNode before = json(api("POST", "/bmc/machines/acme-1/power?wait=true", "{\"action\": \"status\"}"));
        assertEquals("FAILED", before.get("state").asText(), before.toString());
        assertTrue(before.get("message").asText().contains("no BMC driver named acme is deployed"), before.toString());

        Path deployed = Files.copy(jar, home.resolve("deploy").resolve(jar.getFileName()));
        Await.until("the acme driver listed", Duration.ofSeconds(30), () -> api("GET", "/bmc/drivers", null).body().contains("\"acme\"")
                ? true : null);
        JsonNode with = json(api("POST", "/bmc/machines/acme-1/power?wait=true", "{\"action\": \"on\"}"));
        assertEquals("SUCCEEDED", with.get("state").asText(), with.toString());
        assertEquals("1", Files.readString(sim.chassis().resolve("power")).strip(), "the vendor's driver powered the chassis on");

        Files.delete(deployed);
        Await.until("the acme driver gone", Duration.ofSeconds(30), () -> api("GET", "/bmc/drivers", null).body().contains("\"acme\"")
                ? null : true);
        JsonNode after = json(api("POST", "/bmc/machines/acme-1/power?wait=true", "{\"action\": \"off\"}"));
        assertEquals("FAILED", after.get("state").asText(), after.toString());
        assertEquals("1", Files.readString(sim.chassis().resolve("power")).strip(), "nothing changed without the driver");
        assertEquals(List.of("ipmi", "redfish"), Json.mapper().convertValue(json(api("GET", "/bmc/drivers", null)).get("drivers"),
                List.class), "the shipped drivers stayed");
    }

    private static List<String> tasks(JsonNode job) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : job.get("tasks")) {
            JsonNode a = t.get("action");
            out.add(a.has("power") ? "POWER:" + a.get("power").asText() : a.has("bootDevice") ? "BOOT:" + a.get("bootDevice").asText()
                    : "MEDIA:" + a.path("mediaUrl").asText());
        }
        return out;
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).endsWith(text)) {
                return i;
            }
        }
        return -1;
    }

    private static String jobState(String id) throws IOException {
        Http.Response r = api("GET", "/bmc/jobs/" + id, null);
        return r.status() == 200 ? Json.mapper().readTree(r.body()).get("state").asText() : "none";
    }

    private static void stage(Map<String, Double> stages, String name, double seconds, boolean reached) {
        if (reached && !stages.containsKey(name)) {
            stages.put(name, seconds);
            System.out.printf("BmcIT: %s at %.1f s%n", name, seconds);
        }
    }

    /**
     * The installed OS as a UEFI-bootable disk: GPT, one EFI system partition holding GRUB built
     * standalone (its config inside it) as the removable-media loader, Debian's kernel and the
     * test OS's initramfs; so the firmware boots it without anything of Ironbell's.
     */
    static synchronized Path uefiDiskImage(String metadata) throws Exception {
        if (uefiImage != null) {
            return uefiImage;
        }
        Path kernel = TestOs.debianKernel();
        String version = TestOs.version(kernel);
        Path initrd = work.resolve("installed-initrd.img");
        TestOs.installedOs(work.resolve("installed-root"), version, initrd);
        Path cfg = Files.writeString(work.resolve("embedded.cfg"), """
                search --no-floppy --set=root --file /ironbell-test-os
                echo 'Ironbell test OS from its disk'
                linux /vmlinuz console=ttyS0,115200 metadata=%s
                initrd /initrd.img
                boot
                """.formatted(metadata));
        Path efi = work.resolve("BOOTX64.EFI");
        Result grub = Shell.run(List.of("grub-mkstandalone", "-O", "x86_64-efi", "--modules=part_gpt fat search search_fs_file linux echo normal",
                "--locales=", "--fonts=", "--themes=", "-o", efi.toString(), "boot/grub/grub.cfg=" + cfg));
        assertEquals(0, grub.status(), grub.output());
        Path raw = work.resolve("uefi-os.img");
        Path marker = Files.writeString(work.resolve("ironbell-test-os"), "");
        // mtools writes the FAT file system inside the image: no loop device, no vfat module needed
        String fat = raw + "@@" + 2048 * 512;
        Result r = Shell.run(List.of("sh", "-c", "set -e; truncate -s 80M " + raw
                + " && printf 'label: gpt\\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\\n' | sfdisk -q " + raw
                + " && mkfs.vfat -F 32 --offset 2048 " + raw + " >/dev/null"
                + " && mmd -i " + fat + " ::/EFI ::/EFI/BOOT && mcopy -i " + fat + " " + efi + " ::/EFI/BOOT/BOOTX64.EFI"
                + " && mcopy -i " + fat + " " + kernel + " ::/vmlinuz && mcopy -i " + fat + " " + initrd + " ::/initrd.img"
                + " && mcopy -i " + fat + " " + marker + " ::/ironbell-test-os"
                + " && zstd -q -f " + raw + " -o " + raw + ".zst"));
        assertEquals(0, r.status(), r.output());
        uefiImage = Path.of(raw + ".zst");
        return uefiImage;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "(none)";
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
