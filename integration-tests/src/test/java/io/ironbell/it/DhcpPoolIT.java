package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Address pools against real clients (busybox udhcpc, ISC dhclient) and a relay agent played by
 * this test: a pool of five addresses (10.233.0.100-104) of which a reservation takes one and
 * something without a lease (a squatter the probe finds) another. Unknown MACs get the other
 * three, each its own and the same one again; a renewal extends a lease; a release keeps the address for its MAC; INIT-REBOOT
 * gets the old address back; a MAC asking for another's address gets a NAK; a declined address
 * is out; a fourth MAC finds the pool full. The server's namespace holds the served link
 * (10.233.0.1/24) and a link to this namespace (10.233.1.0/30), the relay's path.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DhcpPoolIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36) + "p";
    private static final String SRV = "ibs" + ID;
    private static final String CLI = "ibc" + ID;
    private static final String RESERVED_MAC = "52:54:00:d2:00:01";
    private static final InetAddress RELAY = address("10.233.1.1");
    private static ServerProcess server;
    private static Path work;
    private static String token;
    /** Each MAC and the address udhcpc was given. */
    private static final Map<String, String> given = new HashMap<>();

    @BeforeAll
    static void network() throws Exception {
        work = Files.createTempDirectory("dhcp-pool-it");
        Shell.require("DhcpPoolIT", List.of("ip", "dhclient", "udhcpc"));
        cleanup();
        String v = "v" + ID;
        Shell.steps(new String[][] {
            {"ip", "netns", "add", SRV}, {"ip", "netns", "add", CLI},
            {"ip", "link", "add", v + "s", "type", "veth", "peer", "name", v + "c"},
            {"ip", "link", "set", v + "s", "netns", SRV}, {"ip", "link", "set", v + "c", "netns", CLI},
            {"ip", "link", "add", v + "r", "type", "veth", "peer", "name", v + "a"},
            {"ip", "link", "set", v + "a", "netns", SRV},
            {"ip", "addr", "add", "10.233.1.1/30", "dev", v + "r"}, {"ip", "link", "set", v + "r", "up"},
            {"ip", "-n", SRV, "addr", "add", "10.233.1.2/30", "dev", v + "a"}, {"ip", "-n", SRV, "link", "set", v + "a", "up"},
            {"ip", "-n", SRV, "addr", "add", "10.233.0.1/24", "dev", v + "s"}, {"ip", "-n", SRV, "link", "set", v + "s", "up"},
            {"ip", "-n", SRV, "link", "set", "lo", "up"}, {"ip", "-n", CLI, "link", "set", "lo", "up"},
            {"ip", "-n", CLI, "link", "set", v + "c", "up"},
            // something that uses .102 without a lease: the probe before an offer must find it
            {"ip", "-n", CLI, "addr", "add", "10.233.0.102/24", "dev", v + "c"},
        });
        Path home = ServerProcess.install(DISTRIBUTION, work.resolve("home"));
        server = ServerProcess.startWrappedIn(home, Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", v + "s",
                        "IRONBELL_DHCP_POOLS", "name=lab subnet=10.233.0.0/24 range=10.233.0.100-10.233.0.104 router=10.233.0.1 "
                                + "dns=10.233.0.53 lease=600 offer=30 relays=10.233.1.1",
                        "IRONBELL_DHCP_PROBE_MILLIS", "500"),
                List.of("ip", "netns", "exec", SRV), "10.233.1.2");
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
        Http.Response pushed = api("POST", "/api/v1/hardware", "{\"id\":\"reserved\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                + RESERVED_MAC + "\",\"ip\":{\"address\":\"10.233.0.101\",\"netmask\":\"255.255.255.0\"}},\"netboot\":{\"allow_pxe\":true}}]}}");
        assertEquals(201, pushed.status(), pushed.body());
        Await.until("the pool from dhcp.pools in the store", Duration.ofSeconds(30),
                () -> api("GET", "/api/v1/dhcp/pools/lab", null).status() == 200 ? true : null);
    }

    @AfterAll
    static void teardown() throws Exception {
        if (server != null) {
            server.close();
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", SRV));
        Shell.run(List.of("ip", "netns", "del", CLI));
        Shell.run(List.of("ip", "link", "del", "v" + ID + "r"));
    }

    @Test
    @Order(1)
    void unknownMacsGetFreeAddressesWithThePoolsOptionsAndKeepThem() throws Exception {
        for (String mac : List.of("52:54:00:d2:00:a1", "52:54:00:d2:00:a2", "52:54:00:d2:00:a3")) {
            Map<String, String> got = udhcpc(mac);
            assertEquals("10.233.0.1", got.get("router"), got.toString());
            assertEquals("10.233.0.53", got.get("dns"), got.toString());
            assertEquals("255.255.255.0", got.get("subnet"), got.toString());
            assertEquals("600", got.get("lease"), got.toString());
            given.put(mac, got.get("ip"));
        }
        assertEquals(Set.of("10.233.0.100", "10.233.0.103", "10.233.0.104"), new HashSet<>(given.values()),
                "the free addresses, neither the reserved .101 nor the squatted .102: " + given);
        // the same MAC again: the same address
        assertEquals(given.get("52:54:00:d2:00:a2"), udhcpc("52:54:00:d2:00:a2").get("ip"));
        Map<String, JsonNode> leases = leases();
        for (Map.Entry<String, String> e : given.entrySet()) {
            JsonNode l = leases.get(e.getValue());
            assertEquals("BOUND", l.get("state").asText(), l.toString());
            assertEquals(e.getKey(), l.get("mac").asText(), l.toString());
            assertTrue(Instant.parse(l.get("expiresAt").asText()).isAfter(Instant.now().plusSeconds(500)), l.toString());
        }
    }

    @Test
    @Order(2)
    void aFullPoolIsSilentAndAReservationStillAnswers() throws Exception {
        Result full = udhcpcRun("52:54:00:d2:00:a4", 2);
        assertNotEquals(0, full.status(), "a fourth MAC got an address from a full pool: " + full.output());
        String metrics = Http.get(server.url("/metrics")).body();
        assertTrue(metrics.matches("(?s).*ironbell_dhcp_pool_exhausted_total [1-9].*"), metrics);
        // the squatted .102 was offered by now, to one of the first three MACs or, the pool full but for it, to this
        // one: the probe found it answering and took it out
        assertEquals("DECLINED", leases().get("10.233.0.102").get("state").asText(), "the probe took the squatted address out");
        assertTrue(metrics.matches("(?s).*ironbell_dhcp_pool_probe_in_use_total [1-9].*"), metrics);
        assertEquals("10.233.0.101", udhcpc(RESERVED_MAC).get("ip"));
    }

    @Test
    @Order(3)
    void aReleasedAddressStaysWithItsMacAndDhclientRebootsIntoIt() throws Exception {
        String mac = "52:54:00:d2:00:a1";
        // udhcpc as a daemon: SIGUSR1 renews (a unicast REQUEST from its address), SIGUSR2 releases
        setMac(mac);
        Path script = Files.writeString(work.resolve("udhcpc-daemon.sh"), "#!/bin/sh\necho \"$1 $ip\" >> " + work.resolve("udhcpc.events")
                + "\n[ \"$1\" = bound ] && ip addr add $ip/24 dev $interface\nexit 0\n");
        assertTrue(script.toFile().setExecutable(true));
        Process daemon = new ProcessBuilder("ip", "netns", "exec", CLI, "udhcpc", "-i", "v" + ID + "c", "-f", "-s", script.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("udhcpc-daemon.log").toFile()).start();
        try {
            Await.until("udhcpc bound", Duration.ofSeconds(30), () -> events().contains("bound " + given.get(mac)) ? true : null);
            Instant before = Instant.parse(leases().get(given.get(mac)).get("expiresAt").asText());
            Thread.sleep(1100);
            assertEquals(0, Shell.run(List.of("kill", "-USR1", String.valueOf(daemon.pid()))).status());
            Await.until("the renewal", Duration.ofSeconds(20), () -> events().contains("renew " + given.get(mac)) ? true : null);
            Await.until("the lease extended", Duration.ofSeconds(10),
                    () -> Instant.parse(leases().get(given.get(mac)).get("expiresAt").asText()).isAfter(before) ? true : null);
            assertEquals(0, Shell.run(List.of("kill", "-USR2", String.valueOf(daemon.pid()))).status());
            Await.until("the release in the pool", Duration.ofSeconds(20),
                    () -> leases().get(given.get(mac)).get("state").asText().equals("RELEASED") ? true : null);
        } finally {
            daemon.destroy();
            daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            Shell.run(List.of("ip", "-n", CLI, "addr", "del", given.get(mac) + "/24", "dev", "v" + ID + "c"));
        }
        assertTrue(Files.readString(work.resolve("udhcpc-daemon.log")).contains("unicasting a release"),
                Files.readString(work.resolve("udhcpc-daemon.log")));
        // dhclient: a first DORA, then INIT-REBOOT from its lease file (a REQUEST without a server id)
        setMac(mac);
        Path conf = Files.writeString(work.resolve("dhclient.conf"), "timeout 15;\n");
        Path leaseFile = work.resolve("dhclient.leases");
        for (int run = 0; run < 2; run++) {
            Result r = Shell.run(List.of("ip", "netns", "exec", CLI, "timeout", "40", "dhclient", "-1", "-4", "-v", "-cf", conf.toString(),
                    "-lf", leaseFile.toString(), "-pf", work.resolve("dhclient.pid").toString(), "-sf", "/bin/true", "v" + ID + "c"));
            Shell.run(List.of("sh", "-c", "kill $(cat " + work.resolve("dhclient.pid") + ") 2>/dev/null"));
            assertEquals(0, r.status(), r.output());
            assertTrue(r.output().contains("DHCPACK"), r.output());
            if (run == 1) {
                assertTrue(r.output().contains("DHCPREQUEST for " + given.get(mac)) && !r.output().contains("DHCPDISCOVER"),
                        "the second run reboots into its lease: " + r.output());
            }
        }
        assertTrue(Files.readString(leaseFile).contains("fixed-address " + given.get(mac) + ";"), Files.readString(leaseFile));
        assertEquals("BOUND", leases().get(given.get(mac)).get("state").asText());
    }

    /** A relay agent asks for another MAC's address (NAK), then declines its own (out of the pool). */
    @Test
    @Order(4)
    void anotherMacsAddressGetsANakAndADeclinedAddressIsOut() throws Exception {
        String other = given.get("52:54:00:d2:00:a3");
        try (DatagramSocket relay = new DatagramSocket(new InetSocketAddress(RELAY, 67))) {
            relay.setSoTimeout(5000);
            byte[] initReboot = DhcpPackets.request(DhcpPackets.REQUEST, 77, "52:54:00:d2:00:b1", null, RELAY, option(50, other));
            assertEquals(6, exchange(relay, initReboot)[242], "NAK (type 6) for an address bound to another MAC");
            String mine = given.get("52:54:00:d2:00:a2");
            byte[] decline = DhcpPackets.request(4, 78, "52:54:00:d2:00:a2", null, RELAY, concat(option(50, mine), option(54, "10.233.0.1")));
            relay.send(new DatagramPacket(decline, decline.length, new InetSocketAddress("10.233.1.2", 67)));
        }
        Await.until("the declined address out of the pool", Duration.ofSeconds(10),
                () -> leases().get(given.get("52:54:00:d2:00:a2")).get("state").asText().equals("DECLINED") ? true : null);
        assertFalse(leases().get(given.get("52:54:00:d2:00:a2")).hasNonNull("mac"), "a declined address is no one's");
    }

    private static byte[] exchange(DatagramSocket relay, byte[] request) throws Exception {
        relay.send(new DatagramPacket(request, request.length, new InetSocketAddress("10.233.1.2", 67)));
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            relay.receive(p);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer from the server within 5 s", e);
        }
        // options start at 240: 53 1 TYPE first, as Ironbell writes them
        assertEquals(53, buf[240], "option 53 first");
        return buf;
    }

    private static byte[] option(int code, String ip) {
        byte[] a = address(ip).getAddress();
        return new byte[] {(byte) code, 4, a[0], a[1], a[2], a[3]};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static Map<String, String> udhcpc(String mac) throws Exception {
        Result r = udhcpcRun(mac, 5);
        assertEquals(0, r.status(), r.output());

        Map<String, String> out = new HashMap<>();
        for (String kv : Files.readString(work.resolve("udhcpc.out")).trim().split(" ")) {
            int eq = kv.indexOf('=');
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    private static String events() {
        try {
            Path f = work.resolve("udhcpc.events");
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Result udhcpcRun(String mac, int tries) throws Exception {
        setMac(mac);
        Path script = Files.writeString(work.resolve("udhcpc.sh"), "#!/bin/sh\n[ \"$1\" = bound ] && echo \"ip=$ip router=$router dns=$dns "
                + "subnet=$subnet lease=$lease\" > " + work.resolve("udhcpc.out") + "\nexit 0\n");
        assertTrue(script.toFile().setExecutable(true));
        Files.deleteIfExists(work.resolve("udhcpc.out"));
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", CLI, "timeout", "40", "udhcpc", "-i", "v" + ID + "c", "-n",
                "-q", "-f", "-t", String.valueOf(tries), "-T", "2", "-s", script.toString()));
        return Shell.run(cmd);
    }

    private static void setMac(String mac) throws Exception {
        assertEquals(0, Shell.run(List.of("ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", mac)).status());
    }

    private static Map<String, JsonNode> leases() {
        Http.Response r = api("GET", "/api/v1/dhcp/pools/lab/leases", null);
        assertEquals(200, r.status(), r.body());
        Map<String, JsonNode> out = new HashMap<>();
        try {
            for (JsonNode l : Json.mapper().readTree(r.body()).get("items")) {
                out.put(l.get("address").asText(), l);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private static Http.Response api(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl(path))).header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return Http.send(b.build());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        }
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
