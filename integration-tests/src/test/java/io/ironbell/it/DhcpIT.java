package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpRequest;
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

    @BeforeAll
    static void network() throws Exception {
        work = Files.createTempDirectory("dhcp-it");
        assertEquals("0", sh("id", "-u").trim(), "DhcpIT needs root to make network namespaces");
        for (String tool : List.of("ip", "dhclient", "udhcpc")) {
            assertEquals(0, run(List.of("sh", "-c", "command -v " + tool)).status(), tool + " is missing: run .ci/prepare");
        }
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
        for (String[] step : steps) {
            Result r = run(List.of(step));
            assertEquals(0, r.status(), String.join(" ", step) + ": " + r.output());
        }
        server = ServerProcess.startWrapped(DISTRIBUTION, work.resolve("home"),
                Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_INTERFACE", "v" + ID + "s"),
                List.of("ip", "netns", "exec", SRV), "10.231.1.2");
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        String token = Files.readString(work.resolve("home/data/api-token")).trim();
        Http.Response pushed = Http.send(HttpRequest.newBuilder(URI.create(server.url("/api/v1/hardware")))
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
    }

    private static void cleanup() throws Exception {
        run(List.of("ip", "netns", "del", SRV));
        run(List.of("ip", "netns", "del", CLI));
        run(List.of("ip", "link", "del", "v" + ID + "r"));
    }

    @Test
    void dhclientGetsItsReservation() throws Exception {
        Path conf = Files.writeString(work.resolve("dhclient.conf"), "timeout 10;\n");
        Path leases = work.resolve("dhclient.leases");
        Result r = run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "dhclient", "-1", "-4", "-v", "-cf", conf.toString(),
                "-lf", leases.toString(), "-pf", work.resolve("dhclient.pid").toString(), "-sf", "/bin/true", "v" + ID + "c"));
        run(List.of("sh", "-c", "kill $(cat " + work.resolve("dhclient.pid") + ") 2>/dev/null"));
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
        Result r = run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "5", "-T", "2",
                "-s", script.toString()));
        assertEquals(0, r.status(), r.output());
        assertEquals("ip=10.231.0.10 router=10.231.0.254 dns=10.231.0.53 hostname=vm1", Files.readString(work.resolve("udhcpc.out")).trim());

        // garbage at the listener does not kill it
        for (int i = 0; i < 20; i++) {
            run(List.of("ip", "netns", "exec", SRV, "bash", "-c", "head -c " + (1 + i * 37) + " /dev/urandom > /dev/udp/10.231.0.1/67"));
        }
        Await.until("the garbage to be counted as malformed", Duration.ofSeconds(10),
                () -> Http.get(server.url("/metrics")).body().contains("ironbell_dhcp_malformed_total 20\n") ? true : null);
        // an unknown MAC asks, and gets nothing
        assertEquals(0, run(List.of("ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", "52:54:00:d1:c0:99")).status());
        Files.deleteIfExists(work.resolve("udhcpc.out"));
        Result unknown = run(List.of("ip", "netns", "exec", CLI, "timeout", "20", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "2",
                "-T", "1", "-s", script.toString()));
        assertNotEquals(0, unknown.status(), "an unknown MAC got a lease: " + unknown.output());
        assertTrue(!Files.exists(work.resolve("udhcpc.out")));
        assertEquals(0, run(List.of("ip", "-n", CLI, "link", "set", "v" + ID + "c", "address", MAC)).status());
        String metrics = Http.get(server.url("/metrics")).body();
        assertTrue(metrics.matches("(?s).*ironbell_dhcp_ignored_total [1-9].*"), metrics);
        // and the listener still answers
        Result again = run(List.of("ip", "netns", "exec", CLI, "timeout", "30", "udhcpc", "-i", "v" + ID + "c", "-n", "-q", "-f", "-t", "5",
                "-T", "2", "-s", script.toString()));
        assertEquals(0, again.status(), again.output());
    }

    private record Result(int status, String output) {
    }

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, out);
        }
        return new Result(p.exitValue(), out);
    }

    private static String sh(String... command) throws Exception {
        return run(new ArrayList<>(List.of(command))).output();
    }
}
