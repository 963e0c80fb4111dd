package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Bundles;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ironbell's DHCP server against real clients (ISC dhclient, busybox udhcpc), each side in a
 * network namespace this test makes: the server's namespace holds the served link
 * (10.231.0.1/24) and a link to this namespace for the API; the client's holds the other end of
 * the served link. Nothing leaves the namespaces. Needs root, iproute2, dhclient and udhcpc
 * (.ci/prepare installs them); fails, never skips, without them.
 */
class DhcpIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String SRV = "ibs" + ID;
    private static final String CLI = "ibc" + ID;
    private static final String MAC = "52:54:00:d1:c0:01";
    private static ServerProcess server;
    private static Path work;
    private static Path dhcpJar;

    @BeforeAll
    static void network() throws Exception {
        work = Files.createTempDirectory("dhcp-it");
        Shell.require("DhcpIT", List.of("ip", "dhclient", "udhcpc"));
        cleanup();
        String[][] steps = {
            {"ip", "netns", "add", SRV}, {"ip", "netns", "add", CLI},
            {"ip", "link", "add", "v" + ID + "s", "type", "veth", "peer", "name", "v" + ID + "c"},
            {"ip", "link", "set", "v" + ID + "s", "netns", SRV}, {"ip", "link", "set", "v" + ID + "c", "netns", CLI},
            {"ip", "link", "add", "v" + ID + "r", "type", "veth", "peer", "name", "v" + ID + "a"},
            {"ip", "link", "set", "v" + ID + "a", "netns", SRV},
            {"ip", "addr", "add", "10.231.1.1/30", "dev", "v" + ID + "r"}, {"ip", "link", "set", "v" + ID + "r", "up"},
            {"ip", "-n", SRV, "addr", "add", "10.231.1.2/30", "dev", "v" + ID + "a"}, {"ip", "-n", SRV, "link", "set", "v" + ID + "a", "up"},
            {"ip", "-n", SRV, "addr", "add", "10.231.0.1/24", "dev", "v" + ID + "s"}, {"ip", "-n", SRV, "link", "set", "v" + ID + "s", "up"},
            {"ip", "-n", SRV, "link", "set", "lo", "up"}, {"ip", "-n", CLI, "link", "set", "lo", "up"},
            {"ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", MAC}, {"ip", "-n", CLI, "link", "set", "v" + ID + "c", "up"},
        };
        Shell.steps(steps);
        // the DHCP bundle runs from deploy/, where an operator replaces it while the server runs
        Path home = ServerProcess.install(DISTRIBUTION, work.resolve("home"));
        try (var jars = Files.newDirectoryStream(home.resolve("bundle"), "protocol-dhcp-*.jar")) {
            dhcpJar = jars.iterator().next();
        }
        dhcpJar = Files.move(dhcpJar, home.resolve("deploy/protocol-dhcp.jar"));
        server = ServerProcess.startWrappedIn(home,
                Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", "v" + ID + "s"),
                List.of("ip", "netns", "exec", SRV), "10.231.1.2");
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        String token = Files.readString(work.resolve("home/data/api-token")).trim();
        Http.Response pushed = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware")))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"vm1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + MAC
                        + "\",\"hostname\":\"vm1\",\"lease_time\":7200,\"name_servers\":[\"10.231.0.53\"],\"ip\":{\"address\":\"10.231.0.10\","
                        + "\"netmask\":\"255.255.255.0\",\"gateway\":\"10.231.0.254\"}},\"netboot\":{\"allow_pxe\":true,\"allow_workflow\":true}}]}}"))
                .build());
        assertEquals(201, pushed.status(), pushed.body());
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
    void dhclientGetsItsReservation() throws Exception {
        Path conf = Files.writeString(work.resolve("dhclient.conf"), "timeout 10;\n");
        Path leases = work.resolve("dhclient.leases");
        Result r = Shell.run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "dhclient", "-1", "-4", "-v", "-cf", conf.toString(),
                "-lf", leases.toString(), "-pf", work.resolve("dhclient.pid").toString(), "-sf", "/bin/true", "v" + ID + "c"));
        Shell.run(List.of("sh", "-c", "kill $(cat " + work.resolve("dhclient.pid") + ") 2>/dev/null"));
        assertEquals(0, r.status(), r.output());
        String lease = Files.readString(leases);
        for (String expected : List.of("fixed-address 10.231.0.10;", "option subnet-mask 255.255.255.0;", "option routers 10.231.0.254;",
                "option domain-name-servers 10.231.0.53;", "option host-name \"vm1\";", "option dhcp-lease-time 7200;",
                "option dhcp-server-identifier 10.231.0.1;")) {
            assertTrue(lease.contains(expected), expected + " in " + lease);
        }
    }

    @Test
    void udhcpcGetsItsReservationAndAnUnknownMacGetsSilence() throws Exception {
        Path script = Files.writeString(work.resolve("udhcpc.sh"),
                "#!/bin/sh\n[ \"$1\" = bound ] && echo \"ip=$ip router=$router dns=$dns hostname=$hostname\" > " + work.resolve("udhcpc.out") + "\nexit 0\n");
        assertTrue(script.toFile().setExecutable(true));
        Result r = Shell.run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "5", "-T", "2",
                "-s", script.toString()));
        assertEquals(0, r.status(), r.output());
        assertEquals("ip=10.231.0.10 router=10.231.0.254 dns=10.231.0.53 hostname=vm1", Files.readString(work.resolve("udhcpc.out")).trim());

        // garbage at the listener does not kill it
        for (int i = 0; i < 20; i++) {
            Shell.run(List.of("ip", "netns", "exec", SRV, "bash", "-c", "head -c " + (1 + i * 37) + " /dev/urandom > /dev/udp/10.231.0.1/67"));
        }
        Await.until("the garbage to be counted as malformed", Duration.ofSeconds(10),
                () -> Http.get(server.url("/metrics")).body().contains("ironbell_dhcp_malformed_total 20\n") ? true : null);
        // an unknown MAC asks, and gets nothing
        assertEquals(0, Shell.run(List.of("ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", "52:54:00:d1:c0:99")).status());
        Files.deleteIfExists(work.resolve("udhcpc.out"));
        Result unknown = Shell.run(List.of("ip", "netns", "exec", CLI, "timeout", "20", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "2",
                "-T", "1", "-s", script.toString()));
        assertNotEquals(0, unknown.status(), "an unknown MAC got a lease: " + unknown.output());
        assertTrue(!Files.exists(work.resolve("udhcpc.out")));
        assertEquals(0, Shell.run(List.of("ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", MAC)).status());
        String metrics = Http.get(server.url("/metrics")).body();
        assertTrue(metrics.matches("(?s).*ironbell_dhcp_ignored_total [1-9].*"), metrics);
        // and the listener still answers
        Result again = Shell.run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "5",
                "-T", "2", "-s", script.toString()));
        assertEquals(0, again.status(), again.output());
    }

    /**
     * A relay agent in this namespace (10.231.1.1, port 67) asks every 20 ms while a new version
     * of the DHCP bundle replaces the old one in deploy/: answers resume within 2 s, /healthz
     * never fails, and no other component starts again.
     */
    @Test
    void theDhcpBundleIsReplacedUnderTraffic() throws Exception {
        InetAddress relay = InetAddress.getByName("10.231.1.1");
        List<Long> answers = new CopyOnWriteArrayList<>();
        AtomicInteger healthFailures = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(relay, 67))) {
            socket.setSoTimeout(50);
            Thread receiver = new Thread(() -> {
                byte[] buf = new byte[1500];
                while (running.get()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        socket.receive(p);
                        if (buf[0] == 2 && p.getLength() >= 240) {
                            answers.add(System.nanoTime());
                        }
                    } catch (IOException timeout) {
                        // keep listening
                    }
                }
            });
            Thread health = new Thread(() -> {
                while (running.get()) {
                    try {
                        if (Http.get(server.url("/healthz")).status() != 200) {
                            healthFailures.incrementAndGet();
                        }
                        Thread.sleep(50);
                    } catch (Exception e) {
                        healthFailures.incrementAndGet();
                    }
                }
            });
            Thread sender = new Thread(() -> {
                int xid = 1;
                while (running.get()) {
                    byte[] discover = DhcpPackets.request(DhcpPackets.DISCOVER, xid++, MAC, null, relay);
                    try {
                        socket.send(new DatagramPacket(discover, discover.length, new InetSocketAddress("10.231.1.2", 67)));
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            receiver.start();
            health.start();
            sender.start();
            long othersBefore;
            long swapped;
            try {
                Await.until("answers to the relay", Duration.ofSeconds(20), () -> answers.size() >= 20 ? true : null);
                othersBefore = otherStarts();
                swapped = System.nanoTime();
                Bundles.dropInto(dhcpJar.getParent(), Bundles.withVersion(dhcpJar, "9.9.9", work.resolve("dhcp-9.9.9.jar")), dhcpJar.getFileName().toString());
                Await.until("the new DHCP bundle to start", Duration.ofSeconds(30),
                        () -> server.output().stream().filter(l -> l.contains("started: DHCP")).count() >= 2 ? true : null);
                long started = System.nanoTime();
                // the new bundle answers, and the traffic (with /healthz) runs on for more than 2 s past the swap
                Await.until("answers from the new DHCP bundle, 2 s past the swap", Duration.ofSeconds(30), () -> {
                    long last = answers.isEmpty() ? 0 : answers.get(answers.size() - 1);
                    return last > started && last - swapped > TimeUnit.SECONDS.toNanos(2) ? true : null;
                });
            } finally {
                running.set(false);
                sender.join(5_000);
                receiver.join(5_000);
                health.join(15_000);
            }
            long gap = 0;
            long previous = answers.stream().filter(t -> t < swapped).max(Long::compare).orElseThrow();
            for (long t : answers) {
                if (t > swapped) {
                    gap = Math.max(gap, t - previous);
                    previous = t;
                }
            }
            System.out.printf("hot swap of the DHCP bundle: longest silence %d ms, %d answers in all%n", gap / 1_000_000, answers.size());
            assertTrue(answers.get(answers.size() - 1) - swapped > TimeUnit.SECONDS.toNanos(2), "answers continued after the swap");
            assertTrue(gap < TimeUnit.SECONDS.toNanos(2), "answers resumed " + gap / 1_000_000 + " ms after the last one before the swap");
            assertEquals(0, healthFailures.get(), "/healthz failed during the swap");
            assertEquals(othersBefore, otherStarts(), "another component started again");
            assertTrue(server.output().stream().anyMatch(l -> l.contains("stopped: DHCP")), "the old DHCP bundle stopped");
        }
    }

    /** Log lines of components starting, other than DHCP's. */
    private static long otherStarts() {
        return server.output().stream().filter(l -> l.contains("started:") && !l.contains("started: DHCP")).count();
    }
}
