package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The database's primary lost under load: Debian's PostgreSQL as a primary and a streaming
 * standby with synchronous replication, both started by the test; a server on a multi-host JDBC
 * URL ({@code targetServerType=primary}); writers pushing records through the API; the primary
 * killed (immediate stop, as a crash) and the standby promoted. The server writes again within
 * seconds, and every record it acknowledged is on the new primary. Needs PostgreSQL's server
 * binaries and root (the clusters run as the postgres user), which .ci/prepare provides.
 */
class FailoverIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final int WRITERS = 4;
    private static Path work;
    private static String bin;
    private static int primaryPort;
    private static int standbyPort;
    private static ServerProcess server;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        bin = Files.list(Path.of("/usr/lib/postgresql")).map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("postgres")))
                .map(Path::toString).sorted().reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no PostgreSQL server binaries: run .ci/prepare"));
        work = Files.createTempDirectory("failover-it");
        Shell.steps(new String[][] {{"chmod", "755", work.toString()}, {"chown", "postgres", work.toString()}});
        primaryPort = freePort();
        standbyPort = freePort();
        pg("initdb", "-D", dir("primary"), "-A", "trust", "-U", "ironbell", "-E", "UTF8");
        // every commit waits for the standby's flush: nothing acknowledged is lost with the primary
        pgCtl("primary", primaryPort, "start", "-c wal_level=replica -c max_wal_senders=4 -c synchronous_standby_names=standby1");
        pg("timeout", "60", bin + "/pg_basebackup", "-h", "127.0.0.1", "-p", String.valueOf(primaryPort), "-U", "ironbell", "-D", dir("standby"),
                "-X", "stream", "-R");
        Files.writeString(work.resolve("standby/postgresql.auto.conf"), "primary_conninfo = 'host=127.0.0.1 port=" + primaryPort
                + " user=ironbell application_name=standby1'\n", java.nio.file.StandardOpenOption.APPEND);
        pgCtl("standby", standbyPort, "start", "");
        Await.until("the standby replicating synchronously", Duration.ofSeconds(60), () -> "sync".equals(query(primaryPort,
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")) ? true : null);

        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), Map.of("IRONBELL_STORAGE_JDBC_URL",
                "jdbc:postgresql://127.0.0.1:" + primaryPort + ",127.0.0.1:" + standbyPort + "/postgres?targetServerType=primary",
                "IRONBELL_STORAGE_USER", "ironbell"));
        server.awaitHealthy(Duration.ofSeconds(90));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        for (String d : List.of("primary", "standby")) {
            if (work != null && Files.exists(work.resolve(d + "/postmaster.pid"))) {
                pg(bin + "/pg_ctl", "-D", dir(d), "-m", "immediate", "-w", "-t", "30", "stop");
            }
        }
        io.ironbell.testing.TempDirs.delete(work);
    }

    private static String dir(String name) {
        return work.resolve(name).toString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A PostgreSQL program as the postgres user (it refuses root); the first argument a name in its bin directory or a command. */
    private static Result pg(String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        c.add(command[0].startsWith("/") || command[0].equals("timeout") ? command[0] : bin + "/" + command[0]);
        c.addAll(List.of(command).subList(1, command.length));
        Result r = Shell.run(c);
        assertEquals(0, r.status(), String.join(" ", c) + ":\n" + r.output());
        return r;
    }

    private static void pgCtl(String name, int port, String action, String options) throws Exception {
        pg("pg_ctl", "-D", dir(name), "-l", dir(name) + ".log", "-w", "-t", "30", "-o", "-p " + port + " -k /tmp -c listen_addresses=127.0.0.1 "
                + "-c fsync=on " + options, action);
    }

    private static String query(int port, String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "ironbell", "");
             Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    private static int push(String id, int n) {
        String mac = String.format("52:54:00:fa:%02x:%02x", (n >> 8) & 0xff, n & 0xff);
        HttpRequest r = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware"))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id
                        + "\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + mac + "\"}}]}}")).build();
        return Http.send(r).status();
    }

    @Test
    void thePrimaryIsLostAndNoAcknowledgedWriteIs() throws Exception {
        ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        AtomicLong promotedAt = new AtomicLong();
        AtomicLong firstAfter = new AtomicLong();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int from = w * 10_000;
            running.add(writers.submit(() -> {
                int afterPromotion = 0;
                for (int n = from; System.nanoTime() < stopAt && afterPromotion < 50; n++) {
                    String id = "f-" + n;
                    int status = push(id, n);
                    if (status == 201) {
                        acknowledged.add(id);
                        if (promotedAt.get() != 0) {
                            firstAfter.compareAndSet(0, System.nanoTime());
                            afterPromotion++;
                        }
                    } else {
                        refused.add(id + " " + status);
                        Thread.sleep(100);
                    }
                }
                return null;
            }));
        }
        Await.until("writes under way", Duration.ofSeconds(30), () -> acknowledged.size() > 200 ? true : null);
        // the primary crashes (no shutdown checkpoint, connections cut) and the standby is promoted
        pg("pg_ctl", "-D", dir("primary"), "-m", "immediate", "-w", "-t", "30", "stop");
        int beforePromotion = acknowledged.size();
        pg("pg_ctl", "-D", dir("standby"), "-w", "-t", "30", "promote");
        promotedAt.set(System.nanoTime());
        for (Future<?> f : running) {
            f.get(90, TimeUnit.SECONDS);
        }
        writers.shutdownNow();
        assertTrue(firstAfter.get() != 0, "no write acknowledged after the promotion; refused: " + refused.size() + " "
                + refused.stream().skip(Math.max(0, refused.size() - 5)).toList());
        double seconds = (firstAfter.get() - promotedAt.get()) / 1e9;
        System.out.printf("failover: %d writes acknowledged before the promotion, %d in all, %d refused while the primary was away; "
                + "the first write acknowledged %.2f s after the promotion%n", beforePromotion, acknowledged.size(), refused.size(), seconds);
        assertTrue(seconds < 15, "the server writes again within seconds: " + seconds + " s");

        // every acknowledged record is on the new primary, the one that was the standby
        Set<String> there = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + standbyPort + "/postgres", "ironbell", "");
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id FROM hardware WHERE id LIKE 'f-%'")) {
            while (r.next()) {
                there.add(r.getString(1));
            }
        }
        List<String> lost = acknowledged.stream().filter(id -> !there.contains(id)).toList();
        assertTrue(lost.isEmpty(), lost.size() + " acknowledged writes lost: " + lost.stream().limit(10).toList());
        Await.until("/readyz 200 on the new primary", Duration.ofSeconds(30), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
    }
}
