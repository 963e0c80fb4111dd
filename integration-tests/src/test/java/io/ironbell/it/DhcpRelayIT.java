package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISC's perfdhcp as a relay agent on loopback: in a network namespace whose loopback also holds
 * 127.0.0.2, the server listens on 127.0.0.1:67 only ({@code dhcp.listen}) and perfdhcp relays
 * from 127.0.0.2:67, for 50 machines the API registered. Every DISCOVER-OFFER and REQUEST-ACK
 * exchange must complete. Needs root, iproute2 and
 * perfdhcp (package kea-admin; .ci/prepare installs it); fails, never skips, without them.
 */
class DhcpRelayIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibl" + ID;
    private static final int MACHINES = 50;
    private static ServerProcess server;
    private static Path work;

    @BeforeAll
    static void network() throws Exception {
        work = Files.createTempDirectory("dhcp-relay-it");
        Shell.require("DhcpRelayIT", List.of("ip", "perfdhcp"));
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "-n", NS, "addr", "add", "127.0.0.2/8", "dev", "lo"},
            {"ip", "link", "add", "l" + ID + "r", "type", "veth", "peer", "name", "l" + ID + "a"},
            {"ip", "link", "set", "l" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.232.1.1/30", "dev", "l" + ID + "r"}, {"ip", "link", "set", "l" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.232.1.2/30", "dev", "l" + ID + "a"}, {"ip", "-n", NS, "link", "set", "l" + ID + "a", "up"},
        });
        server = ServerProcess.startWrapped(DISTRIBUTION, work.resolve("home"),
                // 1,000 exchanges over 50 MACs in 5 s: the per-MAC rate limit (DhcpHandlerTest's subject) would drop one now and then
                Map.of("IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_LISTEN", "127.0.0.1", "IRONBELL_SERVER_ADDRESS", "127.0.0.1",
                        "IRONBELL_DHCP_RATE_PER_MAC", "0"),
                List.of("ip", "netns", "exec", NS), "10.232.1.2");
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        String token = Files.readString(work.resolve("home/data/api-token")).trim();
        List<String> macs = new ArrayList<>();
        for (int i = 0; i < MACHINES; i++) {
            String mac = String.format("52:54:00:aa:01:%02x", i);
            macs.add(mac);
            Http.Response r = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware")))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"relay" + i + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\""
                            + mac + "\",\"ip\":{\"address\":\"10.77.0." + (10 + i) + "\",\"netmask\":\"255.255.255.0\",\"gateway\":\"10.77.0.1\"}},"
                            + "\"netboot\":{\"allow_pxe\":true}}]}}"))
                    .build());
            assertEquals(201, r.status(), r.body());
        }
        Files.write(work.resolve("macs"), macs);
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
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "l" + ID + "r"));
    }

    @Test
    void perfdhcpAsARelayCompletesEveryExchange() throws Exception {
        // -W: wait a second after the last request for its answer instead of counting it lost
        Result r = Shell.run(List.of("ip", "netns", "exec", NS, "timeout", "50", "perfdhcp", "-4", "-l", "127.0.0.2", "-M",
                work.resolve("macs").toString(), "-n", "1000", "-r", "200", "-W", "1000000", "127.0.0.1"));
        System.out.println(r.output());
        // when answers are missing, what the server counted says why (rate limits, refused relays, malformed)
        String dhcpMetrics = Http.get(server.url("/metrics")).body().lines().filter(l -> l.startsWith("ironbell_dhcp"))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertEquals(0, r.status(), r.output() + "\n" + dhcpMetrics);
        Matcher m = Pattern.compile("Statistics for: ([A-Z-]+)\\*+\\s+sent packets: (\\d+)\\s+received packets: (\\d+)\\s+drops: (\\d+)")
                .matcher(r.output());
        List<String> exchanges = new ArrayList<>();
        while (m.find()) {
            exchanges.add(m.group(1));
            assertEquals(1000, Integer.parseInt(m.group(2)), m.group(1) + " sent");
            assertEquals(m.group(2), m.group(3), m.group(1) + ": every request answered");
            assertEquals("0", m.group(4), m.group(1) + " drops");
        }
        assertEquals(List.of("DISCOVER-OFFER", "REQUEST-ACK"), exchanges, r.output());
        String metrics = Http.get(server.url("/metrics")).body();
        assertTrue(metrics.contains("ironbell_dhcp_answered_total 2000\n"), metrics);
    }
}
