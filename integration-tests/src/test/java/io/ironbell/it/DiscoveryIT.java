package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Machines nobody registered: two QEMU VMs of different shapes boot on a network served by
 * Ironbell with a pool and discovery on, nothing known about them. Each gets an address from the
 * pool, a record, the in-memory OS, and reports an inventory that matches what QEMU was given
 * (SMBIOS strings, disk sizes and serials, NICs and their speed, memory, CPUs, BIOS or UEFI). The
 * operator's rule enrolls the storage machine (host name from its pattern, labels) with a workflow
 * whose template picks its smallest non-rotational disk from the inventory, and image2disk writes
 * exactly that disk; the other machine matches no rule and waits, discovered, where a dry run says
 * why. Both VMs run at once under TCG. Needs root, iproute2, qemu-system-x86, ovmf, ipxe-qemu and
 * zstd (.ci/prepare installs them); fails, never skips, without them.
 */
class DiscoveryIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibd" + ID;
    private static final String BRIDGE = "db" + ID;
    private static final String MAC_A = "52:54:00:d5:0a:01";
    private static final String MAC_B = "52:54:00:d5:0b:01";
    private static final String MAC_B2 = "52:54:00:d5:0b:02";
    private static final String UUID_A = "6c1a1b9e-3d2f-4c55-9a51-0123456789ab";
    private static final long GIB = 1L << 30;
    private static final Duration LIMIT = Duration.ofMinutes(12);
    private static final String MARK = "IRONBELL-DISCOVERY-MARK";
    private static Path work;
    private static Path home;
    private static ServerProcess server;
    private static String token;
    private static final List<Process> vms = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("discovery-it");
        Shell.require("DiscoveryIT", List.of("ip", "qemu-system-x86_64", "zstd"));
        for (String file : List.of("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/lib/ipxe/qemu/efi-virtio.rom",
                DISTRIBUTION + "/data/artifacts/osie/vmlinuz", DISTRIBUTION + "/data/artifacts/osie/initramfs")) {
            assertTrue(Files.isReadable(Path.of(file)), file + " is missing: run .ci/prepare and build the distribution");
        }
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "link", "add", BRIDGE, "type", "bridge"},
            {"ip", "-n", NS, "addr", "add", "10.236.0.1/24", "dev", BRIDGE}, {"ip", "-n", NS, "link", "set", BRIDGE, "up"},
            {"ip", "-n", NS, "tuntap", "add", "t" + ID + "a", "mode", "tap"}, {"ip", "-n", NS, "link", "set", "t" + ID + "a", "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", "t" + ID + "a", "up"},
            {"ip", "-n", NS, "tuntap", "add", "t" + ID + "b", "mode", "tap"}, {"ip", "-n", NS, "link", "set", "t" + ID + "b", "master", BRIDGE},
            {"ip", "-n", NS, "link", "set", "t" + ID + "b", "up"},
            {"ip", "link", "add", "d" + ID + "r", "type", "veth", "peer", "name", "d" + ID + "a"},
            {"ip", "link", "set", "d" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.236.1.1/30", "dev", "d" + ID + "r"}, {"ip", "link", "set", "d" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.236.1.2/30", "dev", "d" + ID + "a"}, {"ip", "-n", NS, "link", "set", "d" + ID + "a", "up"},
        });
        home = ServerProcess.install(DISTRIBUTION, work.resolve("home"));
        server = ServerProcess.startWrappedIn(home, Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", BRIDGE,
                "IRONBELL_DHCP_POOLS", "name=rack subnet=10.236.0.0/24 range=10.236.0.100-10.236.0.149 router=10.236.0.1 dns=10.236.0.1 lease=3600",
                "IRONBELL_DISCOVERY_ENABLED", "true", "IRONBELL_TFTP_ENABLED", "true"), List.of("ip", "netns", "exec", NS), "10.236.1.2");
        server.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Process vm : vms) {
            // QEMU runs under timeout(1), whose death alone would leave it running
            vm.descendants().forEach(ProcessHandle::destroyForcibly);
            vm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "d" + ID + "r"));
    }

    @Test
    void unknownMachinesReportWhatTheyAreAndTheRulesEnrollThem() throws Exception {
        // the image the storage machine's workflow writes: a marker at its first byte
        Path raw = work.resolve("mark.img");
        byte[] image = new byte[1 << 20];
        byte[] mark = MARK.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(mark, 0, image, 0, mark.length);
        Files.write(raw, image);
        Result z = Shell.run(List.of("zstd", "-q", "-f", raw.toString(), "-o", raw + ".zst"));
        assertEquals(0, z.status(), z.output());
        Files.createDirectories(home.resolve("data/artifacts/images"));
        Files.copy(Path.of(raw + ".zst"), home.resolve("data/artifacts/images/mark.img.zst"));
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(Path.of(raw + ".zst"))));
        String template = """
                version: "0.1"
                name: prepare-storage
                global_timeout: 600
                tasks:
                  - name: prepare
                    worker: "{{.device_1}}"
                    actions:
                      - name: mark-boot-disk
                        image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                        timeout: 300
                        environment:
                          IMG_URL: http://10.236.0.1:%d/artifacts/images/mark.img.zst
                          DEST_DISK: /dev/{{ (index .Hardware.Inventory.ssdsBySize 0).name }}
                          COMPRESSED: "true"
                          IMG_CHECKSUM: sha256:%s
                """.formatted(server.httpPort(), sha256);
        assertEquals(201, api("POST", "/templates?name=prepare-storage", template).status());
        Path rules = Files.writeString(work.resolve("rules.yaml"), """
                - name: storage
                  priority: 10
                  match:
                    vendor: acme
                    product: "Storage-*"
                    minCpus: 2
                    disk: {minSize: 1GiB, maxSize: 2GiB, rotational: false}
                    subnet: 10.236.0.0/24
                  then:
                    hostname: "stor-{n:02}-{serial}"
                    labels: {role: storage, rack: r1}
                    metadata: {facility: {facility_code: lab-1}}
                    address: {static: {SN-B2: 10.236.0.77}, netmask: 255.255.255.0, gateway: 10.236.0.1}
                    template: prepare-storage
                - name: huge-memory
                  priority: 20
                  match: {minMemory: 64GiB}
                  then: {hostname: "big-{n}"}
                """);
        Result applied = cli("rule", "apply", "-f", rules.toString());
        assertEquals(0, applied.status(), applied.output());
        assertEquals("rule/storage (priority 10) applied\nrule/huge-memory (priority 20) applied", applied.output().strip());

        // two machines nobody registered, at once: A a 1U with UEFI and two virtio disks; B a storage box with
        // SeaBIOS (its NIC's own iPXE), a spinning virtio disk, an SSD on virtio-scsi and a second, 10 Gb/s NIC
        Path diskA1 = sparse("a1.raw", 2 * GIB);
        Path diskA2 = sparse("a2.raw", 3 * GIB);
        Path diskB1 = sparse("b1.raw", 4 * GIB);
        Path diskB2 = sparse("b2.raw", GIB + 512L * 1024 * 1024);
        Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), work.resolve("vars-a.fd"));
        start("a", List.of("-m", "1536", "-smp", "2",
                "-smbios", "type=1,manufacturer=Acme,product=Rack-1U,version=r2,serial=SN-A1,uuid=" + UUID_A,
                "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive", "if=pflash,format=raw,file=" + vars,
                "-drive", "if=none,id=d1,format=raw,file=" + diskA1, "-device", "virtio-blk-pci,drive=d1,serial=DA-1",
                "-drive", "if=none,id=d2,format=raw,file=" + diskA2, "-device", "virtio-blk-pci,drive=d2,serial=DA-2",
                "-netdev", "tap,id=n0,ifname=t" + ID + "a,script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0,mac=" + MAC_A + ",romfile=",
                "-boot", "n"));
        start("b", List.of("-m", "2048", "-smp", "2",
                "-smbios", "type=1,manufacturer=Acme,product=Storage-2U,serial=SN-B2",
                "-drive", "if=none,id=d1,format=raw,file=" + diskB1, "-device", "virtio-blk-pci,drive=d1,serial=DB-1",
                "-device", "virtio-scsi-pci,id=scsi0",
                "-drive", "if=none,id=d2,format=raw,file=" + diskB2,
                "-device", "scsi-hd,drive=d2,bus=scsi0.0,serial=SSD-B2,rotation_rate=1,vendor=ACME,product=FastFlash",
                "-netdev", "tap,id=n0,ifname=t" + ID + "b,script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0,mac=" + MAC_B,
                "-netdev", "user,id=n1,restrict=on", "-device", "virtio-net-pci,netdev=n1,mac=" + MAC_B2 + ",speed=10000,duplex=full,romfile=",
                "-boot", "n"));

        // B: discovered, reported, enrolled by "storage", its workflow done
        long t0 = System.nanoTime();
        String b = "discovered-" + MAC_B.replace(":", "");
        String a = "discovered-" + MAC_A.replace(":", "");
        String workflow = await("B enrolled with a workflow", () -> {
            JsonNode events = json(api("GET", "/discovery/events?machine=" + b, null)).get("items");
            for (JsonNode e : events) {
                if (e.get("kind").asText().equals("workflow")) {
                    return e.get("message").asText().split(" ")[1];
                }
            }
            return null;
        });
        System.out.printf("discovery: B enrolled with workflow %s after %.1f s%n", workflow, (System.nanoTime() - t0) / 1e9);
        await("B's workflow to succeed", () -> {
            String state = json(api("GET", "/workflows/" + workflow, null)).get("state").asText();
            assertFalse(state.equals("FAILED") || state.equals("TIMEOUT"), "the workflow failed: " + api("GET", "/workflows/" + workflow, null).body()
                    + "\nserial B:\n" + tail(work.resolve("serial-b.log")));
            return state.equals("SUCCESS") ? state : null;
        });
        System.out.printf("discovery: B's workflow done after %.1f s%n", (System.nanoTime() - t0) / 1e9);
        JsonNode rendered = json(api("GET", "/workflows/" + workflow, null)).at("/template/tasks/0/actions/0/environment");
        assertEquals("/dev/sda", rendered.get("DEST_DISK").asText(), "the smallest non-rotational disk, from the inventory: " + rendered);
        try (RandomAccessFile f = new RandomAccessFile(diskB2.toFile(), "r")) {
            byte[] first = new byte[mark.length];
            f.readFully(first);
            assertEquals(MARK, new String(first, StandardCharsets.US_ASCII), "image2disk wrote the SSD the template chose");
        }
        try (RandomAccessFile f = new RandomAccessFile(diskB1.toFile(), "r")) {
            byte[] first = new byte[mark.length];
            f.readFully(first);
            assertNotEquals(MARK, new String(first, StandardCharsets.US_ASCII), "and not the spinning disk");
        }

        // B's record: enrolled, named by the pattern, labelled, at the address the rule's static map gives its serial,
        // which its in-memory OS took at once (its worker ran the address hook: a fresh lease, the new reservation), for
        // its workflow is served there only
        JsonNode hwB = json(api("GET", "/hardware/" + b, null));
        assertEquals("stor-01-sn-b2", hwB.at("/network/interfaces/0/dhcp/hostname").asText(), hwB.toString());
        assertEquals("storage", hwB.at("/labels/role").asText());
        assertEquals("lab-1", hwB.at("/metadata/facility/facility_code").asText());
        assertEquals("ENROLLED", hwB.at("/discovery/state").asText());
        String addressB = hwB.at("/network/interfaces/0/dhcp/ip/address").asText();
        assertEquals("10.236.0.77", addressB, hwB.toString());
        assertTrue(Files.readString(work.resolve("serial-b.log")).contains("ironbell: lease 10.236.0.77/24"), "B's in-memory OS took it:\n"
                + tail(work.resolve("serial-b.log")));
        JsonNode invB = hwB.get("inventory").get("inventory");
        assertEquals("Acme", invB.at("/system/vendor").asText());
        assertEquals("Storage-2U", invB.at("/system/product").asText());
        assertEquals("SN-B2", invB.at("/system/serial").asText());
        assertEquals("bios", invB.at("/firmware/mode").asText());
        assertEquals(2, invB.at("/cpu/threads").asInt());
        long memB = invB.at("/memory/totalBytes").asLong();
        assertTrue(memB > 1800L * (1 << 20) && memB <= 2048L * (1 << 20), "MemTotal of a 2048 MiB VM: " + memB);
        JsonNode vda = disk(invB, "vda");
        assertEquals(4 * GIB, vda.get("sizeBytes").asLong());
        assertEquals("DB-1", vda.get("serial").asText());
        assertTrue(vda.get("rotational").asBoolean());
        assertEquals("virtio", vda.get("bus").asText());
        JsonNode sda = disk(invB, "sda");
        assertEquals(GIB + 512L * 1024 * 1024, sda.get("sizeBytes").asLong());
        assertEquals("SSD-B2", sda.get("serial").asText(), sda.toString());
        assertEquals("FastFlash", sda.get("model").asText(), sda.toString());
        assertFalse(sda.get("rotational").asBoolean());
        assertEquals("scsi", sda.get("bus").asText());
        assertEquals(2, invB.get("nics").size(), invB.get("nics").toString());
        JsonNode fast = nic(invB, MAC_B2);
        assertEquals(10000, fast.get("speedMbps").asInt(), fast.toString());
        assertEquals("virtio_net", fast.get("driver").asText());
        assertTrue(nic(invB, MAC_B).get("link").asBoolean());
        assertTrue(invB.get("pci").size() >= 5, "PCI functions: " + invB.get("pci"));
        assertTrue(containsPci(invB, "1af4", "1004") || containsPci(invB, "1af4", "1048"), "the virtio-scsi controller: " + invB.get("pci"));

        // A: discovered, reported, no rule matches: it waits, and a dry run says why
        JsonNode hwA = await("A's inventory", () -> {
            JsonNode h = json(api("GET", "/hardware/" + a, null));
            return h.has("inventory") ? h : null;
        });
        JsonNode invA = hwA.get("inventory").get("inventory");
        assertEquals("Rack-1U", invA.at("/system/product").asText());
        assertEquals("r2", invA.at("/system/version").asText());
        assertEquals("SN-A1", invA.at("/system/serial").asText());
        assertEquals(UUID_A, invA.at("/system/uuid").asText());
        assertEquals("uefi", invA.at("/firmware/mode").asText());
        assertFalse(invA.at("/firmware/secureBoot").asBoolean(true), "OVMF without Secure Boot: " + invA.get("firmware"));
        assertEquals(List.of("vda 2147483648 DA-1", "vdb 3221225472 DA-2"), List.of(
                "vda " + disk(invA, "vda").get("sizeBytes").asLong() + " " + disk(invA, "vda").get("serial").asText(),
                "vdb " + disk(invA, "vdb").get("sizeBytes").asLong() + " " + disk(invA, "vdb").get("serial").asText()));
        assertEquals(1, invA.get("nics").size());
        assertEquals(MAC_A, invA.at("/nics/0/mac").asText());
        assertFalse(invA.at("/tpm/present").asBoolean());
        long memA = invA.at("/memory/totalBytes").asLong();
        assertTrue(memA > 1300L * (1 << 20) && memA <= 1536L * (1 << 20), "MemTotal of a 1536 MiB VM: " + memA);
        Await.until("A's rules decided", Duration.ofSeconds(30), () -> api("GET", "/discovery/events?machine=" + a, null).body()
                .contains("\"kind\":\"unmatched\"") ? true : null);
        assertEquals("DISCOVERED", json(api("GET", "/hardware/" + a, null)).at("/discovery/state").asText());

        Result discovered = cli("hardware", "list", "--discovered");
        assertEquals(0, discovered.status(), discovered.output());
        assertTrue(discovered.output().contains(a) && !discovered.output().contains(b), discovered.output());
        Result dry = cli("rule", "test", "storage", MAC_A);
        assertEquals(1, dry.status(), dry.output());
        assertTrue(dry.output().contains("product: wants Storage-*, is Rack-1U"), dry.output());
        assertTrue(dry.output().contains("disks: wants 1 disk(s) >= 1GiB, <= 2GiB, non-rotational, has 0 of [vda 2.0 GiB, vdb 3.0 GiB]"),
                dry.output());
        Result dryB = cli("rule", "test", "storage", b);
        assertEquals(0, dryB.status(), dryB.output());
        Result inventory = cli("hardware", "inventory", a);
        assertEquals(0, inventory.status(), inventory.output());
        assertTrue(inventory.output().contains("system:    Acme Rack-1U, serial SN-A1, uuid " + UUID_A), inventory.output());
        Result events = cli("rule", "events", b);
        assertEquals(0, events.status(), events.output());
        assertTrue(events.output().matches("(?s).* address .*10\\.236\\.0\\.1[0-4]\\d -> 10\\.236\\.0\\.77 \\(static\\).*"), events.output());
        for (String kind : List.of("discovered", "inventory", "matched", "enrolled", "address", "workflow")) {
            assertTrue(events.output().contains(" " + kind + " "), kind + " in\n" + events.output());
        }
        // bad reports are refused with their reason, and change nothing
        JsonNode before = json(api("GET", "/discovery/inventory/" + a, null));
        Http.Response malformed = api("POST", "/worker/" + MAC_A + "/inventory", "{\"disks\": [");
        assertEquals(400, malformed.status(), malformed.body());
        Http.Response wrongType = api("POST", "/worker/" + MAC_A + "/inventory", "{\"memory\": {\"totalBytes\": \"lots\"}}");
        assertEquals(400, wrongType.status(), wrongType.body());
        assertTrue(wrongType.body().contains("totalBytes"), wrongType.body());
        StringBuilder many = new StringBuilder("{\"disks\": [");
        for (int i = 0; i < 5000; i++) {
            many.append(i == 0 ? "" : ",").append("{\"name\":\"d").append(i).append("\",\"sizeBytes\":1}");
        }
        Http.Response tooMany = api("POST", "/worker/" + MAC_A + "/inventory", many.append("]}").toString());
        assertEquals(400, tooMany.status(), tooMany.body());
        assertTrue(tooMany.body().contains("disks: 5000 entries, at most 4096"), tooMany.body());
        Http.Response huge = api("POST", "/worker/" + MAC_A + "/inventory", "{\"pci\": [" + "{},".repeat(400_000) + "{}]}");
        assertEquals(413, huge.status(), huge.body());
        Http.Response stranger = api("POST", "/worker/52:54:00:ff:ff:01/inventory", "{}");
        assertEquals(404, stranger.status(), stranger.body());
        assertEquals(before, json(api("GET", "/discovery/inventory/" + a, null)), "nothing stored from the bad reports");

        // the pool holds A's address, bound to its MAC; B's discovery lease went back when it moved
        JsonNode leases = json(api("GET", "/dhcp/pools/rack/leases", null)).get("items");
        List<String> bound = new ArrayList<>();
        leases.forEach(l -> bound.add(l.get("mac").asText() + " " + l.get("address").asText() + " " + l.get("state").asText()));
        assertTrue(bound.stream().noneMatch(l -> l.startsWith(MAC_B + " ") && l.endsWith(" BOUND")), bound.toString());
        assertTrue(bound.contains(MAC_A + " " + hwA.at("/network/interfaces/0/dhcp/ip/address").asText() + " BOUND"), bound.toString());

        // Tinkerbell's WorkflowRuleSets, applied as they are: their Quamina patterns see A as Tinkerbell's agent
        // would describe it, and the rule set with most matching rules enrolls it (not the first by name)
        Result attributes = cli("hardware", "inventory", a, "--attributes");
        assertEquals(0, attributes.status(), attributes.output());
        JsonNode attrA = new com.fasterxml.jackson.databind.ObjectMapper().readTree(attributes.output());
        assertEquals("Rack-1U", attrA.at("/product/name").asText(), attributes.output());
        assertEquals("2GB", attrA.at("/blockDevices/0/size").asText(), attributes.output());
        Path rulesets = Files.writeString(work.resolve("rulesets.yaml"), """
                apiVersion: tinkerbell.org/v1alpha1
                kind: WorkflowRuleSet
                metadata: {name: rack-any, namespace: tink-system}
                spec:
                  rules:
                  - '{"product": {"vendor": ["Acme"]}}'
                  workflow: {disabled: true, namespace: tink-system, template: {agentValue: worker_id}}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: WorkflowRuleSet
                metadata: {name: rack-exact, namespace: tink-system}
                spec:
                  rules:
                  - '{"product": {"name": ["Rack-1U"], "serialNumber": [{"prefix": "SN-A"}]}}'
                  - '{"blockDevices": {"size": ["2GB"], "serialNumber": ["DA-1"], "controllerType": ["virtio"]}}'
                  - '{"blockDevices": {"size": ["3GB"], "serialNumber": ["DA-1"]}}'
                  workflow: {disabled: true, namespace: tink-system, template: {agentValue: worker_id}}
                """);
        Result wrs = cli("apply", "-f", rulesets.toString());
        assertEquals(0, wrs.status(), wrs.output());
        assertTrue(wrs.output().contains("workflowruleset/rack-any created") && wrs.output().contains("workflowruleset/rack-exact created"),
                wrs.output());
        Result again = cli("apply", "-f", rulesets.toString());
        assertTrue(again.output().contains("workflowruleset/rack-exact unchanged"), again.output());
        Path badRuleset = Files.writeString(work.resolve("bad-ruleset.yaml"), """
                apiVersion: tinkerbell.org/v1alpha1
                kind: WorkflowRuleSet
                metadata: {name: broken}
                spec:
                  rules: ['{"product": {"vendor": "Acme"}}']
                  workflow: {template: {ref: prepare-storage}}
                """);
        Result bad = cli("apply", "-f", badRuleset.toString());
        assertNotEquals(0, bad.status(), bad.output());
        assertTrue(bad.output().contains("spec.rules[0]: product.vendor: a pattern's values are in arrays"), bad.output());
        Result enrollA = cli("hardware", "enroll", a);
        assertEquals(0, enrollA.status(), enrollA.output());
        assertTrue(enrollA.output().contains("enrolled by rule rack-exact"), enrollA.output());
        JsonNode enrolledA = json(api("GET", "/hardware/" + a, null));
        assertEquals("ENROLLED", enrolledA.at("/discovery/state").asText(), enrolledA.toString());
        assertEquals("true", enrolledA.at("/labels/tinkerbell.org~1auto-enrollment").asText(), enrolledA.toString());
        assertEquals("rack-exact", enrolledA.at("/labels/ironbell.io~1enrolled-by").asText());
        // every machine, every event: no filter given
        JsonNode all = json(api("GET", "/discovery/machines", null));
        assertEquals(2, all.get("items").size(), all.toString());
        assertTrue(api("GET", "/discovery/events", null).body().contains(a) && api("GET", "/discovery/events", null).body().contains(b));
    }

    private static JsonNode disk(JsonNode inventory, String name) {
        for (JsonNode d : inventory.get("disks")) {
            if (d.get("name").asText().equals(name)) {
                return d;
            }
        }
        throw new AssertionError("no disk " + name + " in " + inventory.get("disks"));
    }

    private static JsonNode nic(JsonNode inventory, String mac) {
        for (JsonNode n : inventory.get("nics")) {
            if (n.get("mac").asText().equals(mac)) {
                return n;
            }
        }
        throw new AssertionError("no NIC " + mac + " in " + inventory.get("nics"));
    }

    private static boolean containsPci(JsonNode inventory, String vendor, String device) {
        for (JsonNode p : inventory.get("pci")) {
            if (p.path("vendorId").asText().equals(vendor) && p.path("deviceId").asText().equals(device)) {
                return true;
            }
        }
        return false;
    }

    private static Path sparse(String name, long bytes) throws Exception {
        Path p = work.resolve(name);
        Result r = Shell.run(List.of("truncate", "-s", String.valueOf(bytes), p.toString()));
        assertEquals(0, r.status(), r.output());
        return p;
    }

    private static void start(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NS, "timeout", String.valueOf(LIMIT.toSeconds() + 60),
                "qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-monitor", "none",
                "-serial", "file:" + work.resolve("serial-" + name + ".log"), "-no-reboot"));
        command.addAll(args);
        vms.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("qemu-" + name + ".log").toFile()).start());
    }

    private interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls until the probe gives a value, failing after {@link #LIMIT} with both consoles' last lines. */
    private static <T> T await(String what, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            for (Process vm : vms) {
                assertTrue(vm.isAlive(), "a VM exited: serial A:\n" + tail(work.resolve("serial-a.log")) + "\nserial B:\n" + tail(work.resolve("serial-b.log")));
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out after " + LIMIT + " waiting for " + what + "\nserial A:\n" + tail(work.resolve("serial-a.log"))
                + "\nserial B:\n" + tail(work.resolve("serial-b.log")) + "\nevents: " + api("GET", "/discovery/events", null).body());
    }

    private static Result cli(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of(home.resolve("bin/ironbell").toString()));
        c.addAll(List.of(args));
        c.addAll(List.of("--server", server.secureUrl(""), "--token", token));
        return Shell.run(c);
    }

    private static String tail(Path file) throws IOException {
        return ItApi.tail(file, 4000);
    }

    private static Http.Response api(String method, String path, String body) {
        return ItApi.call(server, token, method, path, body);
    }

    private static JsonNode json(Http.Response r) throws IOException {
        return ItApi.json(r);
    }
}
