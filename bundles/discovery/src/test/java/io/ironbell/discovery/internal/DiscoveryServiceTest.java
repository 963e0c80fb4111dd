package io.ironbell.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.discovery.DiscoveredMachine;
import io.ironbell.api.discovery.DiscoveryEvent;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.discovery.Inventory;
import io.ironbell.api.discovery.RuleDecision;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import io.ironbell.store.internal.StoreFixture;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** Discovery and enrollment on a real PostgreSQL: records made, inventories kept with their history, rules applied once. */
class DiscoveryServiceTest {

    private static final long GIB = 1L << 30;
    private StoreFixture store;
    private DiscoveryServiceImpl service;

    @BeforeEach
    void start() throws Exception {
        store = new StoreFixture();
        service = service();
        store.pools.putPool(new AddressPool("lab", "10.240.0.0/24", "10.240.0.100", "10.240.0.199", List.of(), "10.240.0.1",
                List.of("10.240.0.53"), 900, 30));
    }

    private DiscoveryServiceImpl service() {
        DiscoveryServiceImpl s = new DiscoveryServiceImpl(Converters.standardConverter().convert(Map.of("enabled", true))
                .to(DiscoveryServiceImpl.Config.class), store.hardware, store.hardware, store.discovery);
        s.pools = store.pools;
        return s;
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
    }

    /** The machine netbooted: its pool lease, then its record. */
    private Hardware enlist(DiscoveryServiceImpl s, String mac, String ip) throws Exception {
        AddressPools.await(store.pools.bind("lab", MacAddress.parse(mac), ip)).orElseThrow();
        return s.enlist(MacAddress.parse(mac), InetAddress.getByName(ip));
    }

    static Inventory inventory(String serial, int cpus, long memory, long... disks) {
        List<Inventory.Disk> d = new ArrayList<>();
        for (int i = 0; i < disks.length; i++) {
            d.add(new Inventory.Disk("vd" + (char) ('a' + i), disks[i], null, null, "disk-" + i, null, true, false, 512, 512, "virtio"));
        }
        return new Inventory(new Inventory.System("QEMU", "Standard PC (Q35 + ICH9, 2009)", "pc-q35-7.2", serial, null, null, null, null, null,
                null, "Other", null), new Inventory.Firmware("bios", "SeaBIOS", "1.16", "04/01/2014", null),
                new Inventory.Cpu("QEMU Virtual CPU", "GenuineIntel", 1, cpus, cpus, null), new Inventory.Memory(memory), d,
                List.of(new Inventory.Nic("ens3", "52:54:00:aa:00:01", "virtio_net", null, true, 1500, "0000:00:03.0")), List.of(),
                new Inventory.Tpm(false, null), null);
    }

    private static EnrollmentRule rule(String json) throws Exception {
        return Json.mapper().readValue(json, EnrollmentRule.class);
    }

    @Test
    void anUnknownMachineGetsARecordWithItsPoolAddressAsReservation() throws Exception {
        MacAddress mac = MacAddress.parse("52:54:00:aa:00:01");
        StoreException forged = assertThrows(StoreException.class, () -> service.enlist(mac, InetAddress.getByName("10.240.0.150")));
        assertEquals("10.240.0.150 is not leased to 52:54:00:aa:00:01 (pool lab): not enlisted", forged.getMessage());
        // an address of no pool (another DHCP server's, in proxy mode) cannot be checked: refused
        StoreException elsewhere = assertThrows(StoreException.class, () -> service.enlist(mac, InetAddress.getByName("192.168.7.20")));
        assertTrue(elsewhere.getMessage().startsWith("192.168.7.20 is in no DHCP pool of this server: discovery enlists a machine only "
                + "from its pool lease"), elsewhere.getMessage());
        assertTrue(store.discovery.discoveredMachines(null).isEmpty(), "nothing enlisted");
        Hardware hw = enlist(service, "52:54:00:aa:00:01", "10.240.0.150");
        assertEquals("discovered-525400aa0001", hw.id());
        var nic = hw.interfaceByMac(mac).orElseThrow();
        assertEquals("10.240.0.150", nic.dhcp().ip().address());
        assertEquals("255.255.255.0", nic.dhcp().ip().netmask());
        assertEquals("10.240.0.1", nic.dhcp().ip().gateway());
        assertEquals(List.of("10.240.0.53"), nic.dhcp().nameServers());
        assertTrue(nic.allowsPxe());
        assertEquals("true", hw.extra().get("labels").get("ironbell.io/discovered").asText());
        assertEquals(hw.id(), store.hardware.byIp(InetAddress.getByName("10.240.0.150")).orElseThrow().id(), "known by its address now");
        assertEquals(DiscoveredMachine.State.DISCOVERED, store.discovery.discovered(hw.id()).orElseThrow().state());
        // again (the next boot, or another instance): the same record
        assertEquals(hw, service.enlist(mac, InetAddress.getByName("10.240.0.150")));
        assertEquals(1, store.discovery.discoveredMachines(DiscoveredMachine.State.DISCOVERED).size());
        assertEquals(1, store.discovery.discoveredMachines(null).size(), "every state");
        assertEquals(List.of("discovered"), store.discovery.events(null, 100).stream().map(DiscoveryEvent::kind).toList(), "every machine's");
    }

    @Test
    void aRecordWithoutAnAddressTakesItsPoolLease() throws Exception {
        // the operator typed the MAC only: its DHCP comes from the pool, and the lease becomes its reservation
        store.hardware.push(Json.mapper().readValue("{\"id\":\"typed\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":"
                + "\"52:54:00:aa:00:09\"},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}", Hardware.class));
        MacAddress mac = MacAddress.parse("52:54:00:aa:00:09");
        Hardware notYet = service.enlist(mac, InetAddress.getByName("10.240.0.160"));
        assertTrue(notYet.interfaceByMac(mac).orElseThrow().dhcp().ip() == null, "not its lease: nothing taken");
        Hardware hw = enlist(service, "52:54:00:aa:00:09", "10.240.0.160");
        assertEquals("typed", hw.id());
        var nic = hw.interfaceByMac(mac).orElseThrow();
        assertEquals("10.240.0.160", nic.dhcp().ip().address());
        assertEquals("255.255.255.0", nic.dhcp().ip().netmask());
        assertEquals("10.240.0.1", nic.dhcp().ip().gateway());
        assertEquals(Long.valueOf(900), nic.dhcp().leaseTime());
        assertEquals("typed", store.hardware.byIp(InetAddress.getByName("10.240.0.160")).orElseThrow().id(), "known by its address now");
        assertTrue(store.discovery.discovered("typed").isEmpty(), "an operator's record, not a discovered one");
        assertTrue(store.discovery.events("typed", 10).get(0).message().startsWith("address none -> 10.240.0.160 (pool lab)"),
                store.discovery.events("typed", 10).toString());
        // a record with an address keeps it, whatever lease its MAC holds
        AddressPools.await(store.pools.bind("lab", mac, "10.240.0.161")).orElseThrow();
        assertEquals("10.240.0.160", service.enlist(mac, InetAddress.getByName("10.240.0.161")).interfaceByMac(mac).orElseThrow()
                .dhcp().ip().address());
    }

    @Test
    void inventoriesAreKeptWithTheHistoryOfWhatChanged() throws Exception {
        Hardware hw = enlist(service, "52:54:00:aa:00:01", "10.240.0.150");
        assertNull(service.report(hw.id(), inventory("S1", 2, 2 * GIB, 20 * GIB)).rule(), "no rules: it waits");
        service.report(hw.id(), inventory("S1", 2, 2 * GIB, 20 * GIB));
        assertEquals(1, store.discovery.history(hw.id()).size(), "the same report twice is one entry");
        var first = store.discovery.inventory(hw.id()).orElseThrow();
        assertTrue(first.collectedAt().isAfter(first.changedAt()), "collected again, not changed");
        service.report(hw.id(), inventory("S1", 2, 2 * GIB, 20 * GIB, 40 * GIB));
        var history = store.discovery.history(hw.id());
        assertEquals(2, history.size());
        assertEquals(2, history.get(0).inventory().disks().size(), "newest first");
        assertEquals(1, history.get(1).inventory().disks().size());
        StoreException e = assertThrows(StoreException.class, () -> service.report("nobody", inventory("S9", 1, GIB)));
        assertEquals(StoreException.Reason.NOT_FOUND, e.reason());
    }

    @Test
    void theFirstRuleThatMatchesEnrollsUpToItsMaximumAndTheRestWait() throws Exception {
        service.putRule(rule("{\"name\":\"big-disks\",\"priority\":5,\"match\":{\"vendor\":\"qemu\",\"disk\":{\"minSize\":\"30GiB\"}},"
                + "\"then\":{\"hostname\":\"storage-{n}\"}}"));
        service.putRule(rule("{\"name\":\"workers\",\"priority\":10,\"maxCount\":1,\"match\":{\"vendor\":\"QEMU\",\"product\":\"*Q35*\","
                + "\"minCpus\":2,\"minMemory\":\"1GiB\",\"macPrefixes\":[\"52:54:00\"],\"subnet\":\"10.240.0.0/24\"},\"then\":{"
                + "\"hostname\":\"worker-{n:02}-{serial}\",\"labels\":{\"role\":\"worker\"},\"metadata\":{\"facility\":{\"facility_code\":\"lab1\"}}}}"));
        Hardware a = enlist(service, "52:54:00:aa:00:01", "10.240.0.150");
        Hardware b = enlist(service, "52:54:00:aa:00:02", "10.240.0.151");

        RuleDecision enrolled = service.report(a.id(), inventory("SN-A", 2, 2 * GIB, 20 * GIB));
        assertEquals("workers", enrolled.rule(), enrolled.toString());
        RuleDecision dry = service.test("big-disks", a.id());
        assertFalse(dry.matches());
        assertEquals(List.of("disks: wants 1 disk(s) >= 30GiB, has 0 of [vda 20.0 GiB]"), dry.reasons());

        Hardware enrolledA = store.hardware.get(a.id());
        assertEquals(DiscoveredMachine.State.ENROLLED, store.discovery.discovered(a.id()).orElseThrow().state());
        assertEquals("workers", store.discovery.discovered(a.id()).orElseThrow().rule());
        assertEquals("worker-01-sn-a", enrolledA.hostname().orElseThrow());
        assertEquals("worker-01-sn-a", enrolledA.metadata().instance().hostname());
        assertEquals("lab1", Json.mapper().valueToTree(enrolledA.metadata()).path("facility").path("facility_code").asText());
        assertEquals("worker", enrolledA.extra().get("labels").get("role").asText());
        assertFalse(enrolledA.extra().get("labels").has("ironbell.io/discovered"));
        assertEquals("10.240.0.150", enrolledA.interfaces().get(0).dhcp().ip().address(), "it keeps its address");

        // the rule has enrolled its one machine: b matches it but waits
        RuleDecision waits = service.report(b.id(), inventory("SN-B", 4, 8 * GIB, 20 * GIB));
        assertFalse(waits.matches());
        assertTrue(waits.reasons().toString().contains("workers: matches, but has enrolled its 1 machines"), waits.reasons().toString());
        assertEquals(List.of(b.id()), store.discovery.discoveredMachines(DiscoveredMachine.State.DISCOVERED).stream()
                .map(DiscoveredMachine::hardwareId).toList());
        // the operator raises the maximum and offers it again
        service.putRule(rule("{\"name\":\"workers\",\"priority\":10,\"maxCount\":2,\"match\":{\"vendor\":\"QEMU\"},"
                + "\"then\":{\"hostname\":\"worker-{n:02}-{serial}\"}}"));
        assertEquals("worker-02-sn-b", service.enroll(b.id()).hardware().hostname().orElseThrow());
        assertEquals(StoreException.Reason.CONFLICT, assertThrows(StoreException.class, () -> service.enroll(b.id())).reason());

        List<String> kinds = store.discovery.events(b.id(), 100).stream().map(DiscoveryEvent::kind).toList();
        assertEquals(List.of("enrolled", "matched", "unmatched", "inventory", "discovered"), kinds);
    }

    @Test
    void twoInstancesEnrollAMachineOnce() throws Exception {
        service.putRule(rule("{\"name\":\"any\",\"priority\":1,\"then\":{\"hostname\":\"m-{n}\"}}"));
        DiscoveryServiceImpl other = service();
        for (int round = 0; round < 10; round++) {
            Hardware hw = enlist(service, String.format("52:54:00:bb:00:%02x", round), "10.240.0." + (110 + round));
            store.discovery.putInventory(hw.id(), inventory("R" + round, 1, GIB));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Callable<RuleDecision>> both = List.of(() -> service.enroll(hw.id()), () -> other.enroll(hw.id()));
            int enrolled = 0;
            for (Future<RuleDecision> f : pool.invokeAll(both)) {
                try {
                    RuleDecision d = f.get();
                    if (d != null && d.matches()) {
                        enrolled++;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // the slower one finds it enrolled
                    assertEquals(StoreException.Reason.CONFLICT, ((StoreException) e.getCause()).reason());
                }
            }
            pool.shutdown();
            assertEquals(1, enrolled, "round " + round);
        }
        assertEquals(10, store.discovery.rule("any").orElseThrow().used(), "counted once per machine");
    }

    @Test
    void aRuleGivesAnAddressFromAnotherPoolOrItsStaticMap() throws Exception {
        store.pools.putPool(new AddressPool("prod", "10.241.0.0/24", "10.241.0.10", "10.241.0.12", List.of(), "10.241.0.1",
                List.of("10.241.0.53"), 86400, 30));
        service.putRule(rule("{\"name\":\"to-prod\",\"priority\":1,\"match\":{\"minCpus\":8},\"then\":{\"address\":{\"pool\":\"prod\"}}}"));
        service.putRule(rule("{\"name\":\"fixed\",\"priority\":2,\"match\":{\"vendor\":\"qemu\"},\"then\":{\"address\":{\"static\":"
                + "{\"SN-S\":\"10.240.0.20\",\"52:54:00:AA:00:09\":\"10.240.0.21\",\"SN-X\":\"10.240.0.22\"},\"gateway\":\"10.240.0.254\"}}}"));

        // from the pool: a free address there, with that network's options; the discovery lease goes back
        Hardware big = enlist(service, "52:54:00:aa:00:07", "10.240.0.150");
        RuleDecision d = service.report(big.id(), inventory("SN-BIG", 8, 8 * GIB, 20 * GIB));
        assertEquals("to-prod", d.rule(), d.toString());
        var nic = store.hardware.get(big.id()).interfaces().get(0).dhcp();
        assertTrue(nic.ip().address().matches("10\\.241\\.0\\.1[0-2]"), nic.toString());
        assertEquals("255.255.255.0", nic.ip().netmask());
        assertEquals("10.241.0.1", nic.ip().gateway());
        assertEquals(List.of("10.241.0.53"), nic.nameServers());
        PoolLease prod = store.pools.holder(nic.ip().address()).orElseThrow();
        assertEquals("prod", prod.pool());
        assertEquals(PoolLease.State.BOUND, prod.state());
        assertTrue(store.pools.holder("10.240.0.150").isEmpty(), "the discovery lease went back to its pool");
        assertTrue(store.discovery.events(big.id(), 10).stream().anyMatch(e -> e.kind().equals("address")
                && e.message().startsWith("address 10.240.0.150 -> " + nic.ip().address() + " (pool prod)")));

        // from the static map, by serial or by MAC (any case); the mask it had stays, the gateway is the map's
        Hardware s1 = enlist(service, "52:54:00:aa:00:08", "10.240.0.151");
        assertEquals("fixed", service.report(s1.id(), inventory("SN-S", 2, 2 * GIB, 20 * GIB)).rule());
        assertEquals("10.240.0.20", store.hardware.get(s1.id()).interfaces().get(0).dhcp().ip().address());
        assertEquals("255.255.255.0", store.hardware.get(s1.id()).interfaces().get(0).dhcp().ip().netmask());
        assertEquals("10.240.0.254", store.hardware.get(s1.id()).interfaces().get(0).dhcp().ip().gateway());
        Hardware s2 = enlist(service, "52:54:00:aa:00:09", "10.240.0.152");
        assertEquals("fixed", service.report(s2.id(), inventory("SN-OTHER", 2, 2 * GIB, 20 * GIB)).rule());
        assertEquals("10.240.0.21", store.hardware.get(s2.id()).interfaces().get(0).dhcp().ip().address());

        // a machine the map does not name does not match the rule, and a dry run says so
        Hardware none = enlist(service, "52:54:00:aa:00:0a", "10.240.0.153");
        RuleDecision waits = service.report(none.id(), inventory("SN-NONE", 2, 2 * GIB, 20 * GIB));
        assertFalse(waits.matches());
        assertEquals(List.of("address: the static map has no entry for its MAC 52:54:00:aa:00:0a or serial SN-NONE"),
                service.test("fixed", none.id()).reasons());

        // an address another record reserves is not taken: the rule does not enroll it, saying why, and it waits
        service.putRule(rule("{\"name\":\"fixed\",\"priority\":2,\"match\":{\"vendor\":\"qemu\"},\"then\":{\"address\":{\"static\":"
                + "{\"SN-NONE\":\"10.240.0.20\"}}}}"));
        RuleDecision taken = service.enroll(none.id());
        assertFalse(taken.matches());
        assertTrue(taken.reasons().contains("fixed: address: 10.240.0.20 is hardware " + s1.id() + "'s"), taken.reasons().toString());
        assertEquals("10.240.0.153", store.hardware.get(none.id()).interfaces().get(0).dhcp().ip().address(), "its record unchanged");
        assertEquals(DiscoveredMachine.State.DISCOVERED, store.discovery.discovered(none.id()).orElseThrow().state());

        assertEquals("then.address: either pool (a pool's name) or static (serial or MAC to address)", assertThrows(StoreException.class,
                () -> service.putRule(rule("{\"name\":\"x\",\"priority\":1,\"then\":{\"address\":{}}}"))).getMessage());
        assertEquals("then.address.static.SN-1: '10.0.0.300' is not an IPv4 address", assertThrows(StoreException.class,
                () -> service.putRule(rule("{\"name\":\"x\",\"priority\":1,\"then\":{\"address\":{\"static\":{\"SN-1\":\"10.0.0.300\"}}}}")))
                .getMessage());
    }

    @Test
    void aRuleThatDoesNotReadIsRefusedNamingTheField() throws Exception {
        StoreException e = assertThrows(StoreException.class,
                () -> service.putRule(rule("{\"name\":\"x\",\"priority\":1,\"match\":{\"minMemory\":\"lots\"}}")));
        assertEquals(StoreException.Reason.INVALID, e.reason());
        assertEquals("match.minMemory: 'lots' is not a size (bytes, or a number with a unit: 512MiB, 16GiB, 2TB)", e.getMessage());
        assertEquals("then.hostname: 'n-{rack}' has a placeholder other than {mac}, {serial}, {vendor}, {product}, {n} or {n:0W}",
                assertThrows(StoreException.class, () -> service.putRule(rule("{\"name\":\"x\",\"priority\":1,\"then\":{\"hostname\":\"n-{rack}\"}}")))
                        .getMessage());
        assertEquals("match.subnet: '10.0.0.0' is not a CIDR block (10.0.8.0/24)", assertThrows(StoreException.class,
                () -> service.putRule(rule("{\"name\":\"x\",\"priority\":1,\"match\":{\"subnet\":\"10.0.0.0\"}}"))).getMessage());
        assertEquals(List.of(), store.discovery.rules());
    }
}
