package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One pool, two server processes on one PostgreSQL, perfdhcp against both at once: each run a
 * relay agent of its own (10.237.2.1 to the first server, 10.237.2.2 to the second) with MACs of
 * its own, more MACs in all than the pool has addresses. The servers run in this namespace (where
 * the test PostgreSQL is) on 10.237.3.1 and .2; the relays in a namespace of their own, routed
 * through a veth pair (10.237.1.0/30). No address is acknowledged to two MACs;
 * every acknowledged address is in the database, bound to the MAC it went to; a restarted server
 * gives a MAC its address again. Needs perfdhcp and the test PostgreSQL (.ci/prepare).
 */
class DhcpPoolSharingIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    /** Addresses in the pool: fewer than the two runs' MACs together. */
    private static final int POOL = 1000;
    private static final int MACS_PER_RUN = 600;
    /** perfdhcp draws a MAC of its file at random for each exchange: this many reach most of them, some twice. */
    private static final int EXCHANGES_PER_RUN = 1200;
    private static final String ID = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private static final String NS = "ibp" + ID;
    private static Path work;
    private static String url;
    private static final ServerProcess[] servers = new ServerProcess[2];

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("dhcp-pool-sharing-it");
        Shell.require("DhcpPoolSharingIT", List.of("ip", "perfdhcp"));
        cleanup();
        Shell.steps(new String[][] {
            {"ip", "netns", "add", NS}, {"ip", "-n", NS, "link", "set", "lo", "up"},
            {"ip", "link", "add", "p" + ID + "r", "type", "veth", "peer", "name", "p" + ID + "a"},
            {"ip", "link", "set", "p" + ID + "a", "netns", NS},
            {"ip", "addr", "add", "10.237.1.1/30", "dev", "p" + ID + "r"},
            {"ip", "addr", "add", "10.237.3.1/32", "dev", "p" + ID + "r"}, {"ip", "addr", "add", "10.237.3.2/32", "dev", "p" + ID + "r"},
            {"ip", "link", "set", "p" + ID + "r", "up"},
            {"ip", "-n", NS, "addr", "add", "10.237.1.2/30", "dev", "p" + ID + "a"},
            {"ip", "-n", NS, "addr", "add", "10.237.2.1/32", "dev", "p" + ID + "a"}, {"ip", "-n", NS, "addr", "add", "10.237.2.2/32", "dev", "p" + ID + "a"},
            {"ip", "-n", NS, "link", "set", "p" + ID + "a", "up"},
            {"ip", "-n", NS, "route", "add", "10.237.3.0/24", "via", "10.237.1.1"},
            {"ip", "route", "add", "10.237.2.0/24", "via", "10.237.1.2"},
        });
        url = TestPostgres.createDatabase();
        for (int i = 0; i < 2; i++) {
            servers[i] = server(i);
        }
        for (int run = 0; run < 2; run++) {
            List<String> macs = new ArrayList<>();
            for (int m = 0; m < MACS_PER_RUN; m++) {
                macs.add(String.format("52:54:%02x:00:%02x:%02x", 0x10 + run, m >> 8, m & 0xff));
            }
            Files.write(work.resolve("macs-" + run), macs);
        }
    }

    private static ServerProcess server(int i) throws Exception {
        String listen = "10.237.3." + (i + 1);
        ServerProcess s = ServerProcess.start(DISTRIBUTION, work.resolve("home-" + i), Map.of("IRONBELL_STORAGE_JDBC_URL", url,
                "IRONBELL_STORAGE_USER", "ironbell", "IRONBELL_DHCP_ENABLED", "true", "IRONBELL_DHCP_LISTEN", listen,
                "IRONBELL_SERVER_ADDRESS", listen, "IRONBELL_DHCP_PROBE_MILLIS", "0", "IRONBELL_DHCP_RATE_PER_MAC", "0",
                "IRONBELL_DHCP_POOLS", "name=shared subnet=10.91.0.0/16 range=10.91.0.1-10.91.3.232 lease=3600 offer=120 "
                        + "relays=10.237.2.1,10.237.2.2"));
        s.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(s.url("/readyz")).status() == 200 ? true : null);
        // the pools are read every few seconds: the first exchange must not find none
        Await.until("the pool served", Duration.ofSeconds(30), () -> Http.get(s.url("/metrics")).body()
                .contains("ironbell_dhcp_pool_addresses{pool=\"shared\"} " + POOL) ? true : null);
        return s;
    }

    @AfterAll
    static void stop() throws Exception {
        for (ServerProcess s : servers) {
            if (s != null) {
                s.close();
            }
        }
        cleanup();
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static void cleanup() throws Exception {
        Shell.run(List.of("ip", "netns", "del", NS));
        Shell.run(List.of("ip", "link", "del", "p" + ID + "r"));
    }

    @Test
    void twoServersNeverAcknowledgeOneAddressToTwoMacs() throws Exception {
        CompletableFuture<Result> first = CompletableFuture.supplyAsync(() -> perfdhcp(0));
        CompletableFuture<Result> second = CompletableFuture.supplyAsync(() -> perfdhcp(1));
        List<Result> runs = List.of(first.get(), second.get());
        Map<String, String> byAddress = new HashMap<>();
        Map<String, String> byMac = new HashMap<>();
        for (int run = 0; run < 2; run++) {
            Result r = runs.get(run);
            System.out.println("perfdhcp against server " + (run + 1) + ":\n" + r.output());
            // -x l: one "client_id,address,prefix" line per lease acknowledged; perfdhcp's client id is 01 and the MAC
            Matcher m = Pattern.compile("(?m)^01([0-9a-f]{12}),(\\d+\\.\\d+\\.\\d+\\.\\d+),").matcher(r.output());
            while (m.find()) {
                String mac = m.group(1).replaceAll("(..)(?!$)", "$1:");
                String before = byAddress.put(m.group(2), mac);
                assertTrue(before == null || before.equals(mac), m.group(2) + " acknowledged to " + before + " and to " + mac);
                String had = byMac.put(mac, m.group(2));
                assertTrue(had == null || had.equals(m.group(2)), mac + " acknowledged " + had + " and " + m.group(2) + " (one address per MAC)");
            }
        }
        System.out.printf("pool sharing: %d MACs acknowledged, %d distinct addresses, pool of %d, %d MACs in the files%n", byMac.size(),
                byAddress.size(), POOL, 2 * MACS_PER_RUN);
        assertTrue(byMac.keySet().stream().anyMatch(mac -> mac.startsWith("52:54:10")) && byMac.keySet().stream().anyMatch(mac -> mac.startsWith("52:54:11")),
                "both servers acknowledged");
        assertTrue(byAddress.size() >= POOL * 95 / 100 && byAddress.size() <= POOL, "the pool was filled: " + byAddress.size() + " of " + POOL);
        String metrics = Http.get(servers[0].url("/metrics")).body() + Http.get(servers[1].url("/metrics")).body();
        // more MACs asked than the pool holds: those the pool had no address for were told nothing
        assertTrue(metrics.matches("(?s).*ironbell_dhcp_pool_exhausted_total [1-9].*"), "the pool ran out for the last MACs");
        // what the clients were told is what the database holds
        Map<String, String> bound = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "ironbell", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT host(address), mac::text FROM dhcp_lease WHERE state = 'BOUND'")) {
            while (rs.next()) {
                bound.put(rs.getString(1), rs.getString(2));
            }
        }
        for (Map.Entry<String, String> e : byAddress.entrySet()) {
            assertEquals(e.getValue(), bound.get(e.getKey()), e.getKey() + " bound to the MAC it was acknowledged to");
        }

        // a restart forgets nothing: the first server, started again, gives a MAC its address again
        servers[0].close();
        servers[0] = server(0);
        Map.Entry<String, String> some = byAddress.entrySet().iterator().next();
        Path single = Files.write(work.resolve("single"), List.of(some.getValue()));
        Result again = Shell.run(List.of("ip", "netns", "exec", NS, "timeout", "30", "perfdhcp", "-4", "-l", "10.237.2.1", "-M", single.toString(),
                "-n", "1", "-r", "1", "-x", "l", "-W", "2000000", "10.237.3.1"));
        assertTrue(again.output().contains(clientId(some.getValue()) + "," + some.getKey() + ","),
                some.getValue() + " gets " + some.getKey() + " again after a restart:\n" + again.output());
    }

    private static Result perfdhcp(int run) {
        try {
            // each MAC once (-n = the MACs in the file, taken in turn), its client id option 61 = 01 + MAC, echoed in the ACK
            return Shell.run(List.of("ip", "netns", "exec", NS, "timeout", "120", "perfdhcp", "-4", "-l", "10.237.2." + (run + 1), "-M",
                    work.resolve("macs-" + run).toString(), "-n", String.valueOf(EXCHANGES_PER_RUN), "-r", "60", "-x", "l", "-W", "3000000",
                    "10.237.3." + (run + 1)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String clientId(String mac) {
        return "01" + mac.replace(":", "");
    }
}
