package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage as an operator meets it: the embedded PostgreSQL with no configuration, its data
 * kept across restarts, a change made by another writer reaching the in-memory index,
 * `ironbell backup` and `ironbell restore`, and a configured external server.
 */
class StorageIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final String HW = "{\"id\":\"it-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:be:ef:01\","
            + "\"ip\":{\"address\":\"10.66.0.1\"}}}]}}";

    @Test
    void embeddedDatabaseKeepsDataAndBacksUpAndRestores(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        String backupName = "state.ironbell.gz";
        Path backup = home.resolve("data/backups").resolve(backupName);
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, home, Map.of())) {
            server.awaitHealthy(Duration.ofSeconds(60));
            awaitReady(server);
            // another writer (here: SQL on the embedded server) changes a record; NOTIFY brings it into the index
            try (Connection c = embedded(home); Statement s = c.createStatement()) {
                s.execute("INSERT INTO hardware (id, data) VALUES ('it-1', '" + HW + "')");
                s.execute("INSERT INTO hardware_interface (hardware_id, mac, ip) VALUES ('it-1', '52:54:00:be:ef:01', '10.66.0.1')");
            }
            awaitRecords(server, 1);
            Sh.Result b = server.cli(Map.of(), "backup", backupName);
            assertEquals(0, b.status(), b.output() + b.errors());
            assertTrue(b.output().contains("\"hardware\":1"), b.output());
            assertTrue(Files.size(backup) > 100);
            server.terminate(Duration.ofSeconds(10));
        }
        // the same home again: the data directory survived the restart
        try (ServerProcess again = ServerProcess.startIn(home, Map.of())) {
            again.awaitHealthy(Duration.ofSeconds(60));
            awaitReady(again);
            awaitRecords(again, 1);
            // restore refuses a database that holds data
            Sh.Result refused = again.cli(Map.of(), "restore", backupName);
            assertEquals(6, refused.status(), refused.errors());
            assertTrue(refused.errors().contains("not empty"), refused.errors());
        }
        // a fresh server restores the backup
        Path fresh = tmp.resolve("fresh");
        try (ServerProcess other = ServerProcess.start(DISTRIBUTION, fresh, Map.of())) {
            // an operator copies the backup into the new server's backup directory
            Files.createDirectories(fresh.resolve("data/backups"));
            Files.copy(backup, fresh.resolve("data/backups").resolve(backupName));
            other.awaitHealthy(Duration.ofSeconds(60));
            awaitReady(other);
            Sh.Result r = other.cli(Map.of(), "restore", backupName);
            assertEquals(0, r.status(), r.output() + r.errors());
            awaitRecords(other, 1);
            Sh.Result missing = other.cli(Map.of(), "restore", "nope.gz");
            assertEquals(3, missing.status(), missing.errors());
            assertTrue(missing.errors().contains("no such file"), missing.errors());
            other.terminate(Duration.ofSeconds(30));
            Sh.Result noServer = other.cli(Map.of(), "backup", "late.ironbell.gz");
            assertEquals(5, noServer.status(), noServer.errors());
            assertTrue(noServer.errors().contains("no Ironbell server answers at https://127.0.0.1:" + other.tlsPort()), noServer.errors());
        }
    }

    @Test
    void aConfiguredServerIsUsedAndItsOutageIsReported(@TempDir Path tmp) throws Exception {
        String url = TestPostgres.createDatabase();
        Map<String, String> env = Map.of("IRONBELL_STORAGE_JDBC_URL", url, "IRONBELL_STORAGE_USER", "ironbell");
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), env)) {
            server.awaitHealthy(Duration.ofSeconds(60));
            awaitReady(server);
            assertTrue(!Files.exists(server.home().resolve("data/postgres/PG_VERSION")), "no embedded server was started");
        }
        // a database that does not exist: the server runs, and /readyz names the problem
        Map<String, String> bad = Map.of("IRONBELL_STORAGE_JDBC_URL", url + "_missing", "IRONBELL_STORAGE_USER", "ironbell");
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home2"), bad)) {
            server.awaitHealthy(Duration.ofSeconds(60));
            String body = Await.until("/readyz to report the storage problem", Duration.ofSeconds(20), () -> {
                Http.Response r = Http.get(server.url("/readyz"));
                return r.status() == 503 && r.body().contains("storage") ? r.body() : null;
            }).value();
            assertTrue(body.contains("_missing"), body);
        }
    }

    private static void awaitReady(ServerProcess server) {
        Await.until("/readyz to answer 200", Duration.ofSeconds(60),
                () -> Http.get(server.url("/readyz")).status() == 200 ? Boolean.TRUE : null);
    }

    private static void awaitRecords(ServerProcess server, int n) {
        Await.until("the hardware index to hold " + n + " record(s)", Duration.ofSeconds(20),
                () -> Http.get(server.url("/metrics")).body().contains("ironbell_hardware_records " + n + "\n") ? Boolean.TRUE : null);
    }

    /**
     * A connection to the embedded server as the application role, found through its
     * postmaster.pid (line 4: the port), with the password from data/postgres-auth.properties.
     */
    static Connection embedded(Path home) throws IOException, java.sql.SQLException {
        List<String> pid = Files.readAllLines(home.resolve("data/postgres/postmaster.pid"));
        java.util.Properties auth = new java.util.Properties();
        try (var in = Files.newInputStream(home.resolve("data/postgres-auth.properties"))) {
            auth.load(in);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pid.get(3).trim() + "/ironbell", "ironbell",
                auth.getProperty("ironbell"));
    }
}
