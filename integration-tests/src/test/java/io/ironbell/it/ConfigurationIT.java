package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Bundles;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Configuration of the real server: file, environment, -D arguments, deploy/*.cfg, log format. */
class ConfigurationIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));

    @Test
    void systemPropertiesBeatEnvironmentAndLogsAreJsonLines(@TempDir Path tmp) throws Exception {
        int fromEnv = FreePort.find();
        int fromArg = FreePort.find();
        Map<String, String> env = Map.of("IRONBELL_HTTP_PORT", Integer.toString(fromEnv), "IRONBELL_LOG_FORMAT", "json");
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), env, "-Dhttp.port=" + fromArg)) {
            awaitHealthy(fromArg);
            assertEquals(-1, Http.get("http://127.0.0.1:" + fromEnv + "/healthz").status(), "the -D port wins");

            server.terminate(Duration.ofSeconds(5));
            List<String> lines = server.output();
            assertTrue(lines.size() >= 3, "expected log lines, got " + lines);
            for (String line : lines) {
                JsonNode event = Json.mapper().readTree(line);
                assertTrue(event.has("time") && event.has("level") && event.has("logger") && event.has("message"), line);
            }
            assertTrue(lines.stream().anyMatch(l -> l.contains("\"message\":\"started: HTTP on") && l.contains(":" + fromArg)));
        }
    }

    @Test
    void aConfigFileInDeployReconfiguresAComponentWhileRunning(@TempDir Path tmp) throws Exception {
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), Map.of())) {
            server.awaitHealthy(Duration.ofSeconds(30));
            int moved = FreePort.find();
            int movedTls = FreePort.find();
            Path cfg = Files.writeString(tmp.resolve("http.cfg"), "port=" + moved + "\ntlsPort=" + movedTls + "\naddress=127.0.0.1\n");
            Bundles.dropInto(server.deploy(), cfg, "io.ironbell.http.cfg");
            Duration took = awaitHealthy(moved);
            System.out.println("HTTP moved to port " + moved + " after " + took.toMillis() + " ms");
            assertEquals(-1, Http.get(server.url("/healthz")).status(), "the old port is closed");
            // a change from deploy/ is in the audit log, with the keys it set and none of their values
            Await.until("the change in the audit log", Duration.ofSeconds(30), () -> {
                io.ironbell.testing.Sh.Result audit;
                try {
                    audit = server.cli(Map.of("IRONBELL_SERVER", "https://127.0.0.1:" + movedTls), "audit", "-o", "json");
                } catch (java.io.IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
                return audit.output().contains("settings.update") && audit.output().contains("deploy/io.ironbell.http.cfg")
                        && audit.output().contains("io.ironbell.http") && audit.output().contains("tlsPort") ? true : null;
            });
            assertTrue(server.output().stream().anyMatch(l -> l.contains("WARN") && l.contains("settings: changed io.ironbell.http from deploy/")),
                    "said loudly in the server's log too");
        }
    }

    @Test
    void theConfFileIsRead(@TempDir Path tmp) throws Exception {
        int port = FreePort.find();
        Path home = tmp.resolve("home");
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, home, Map.of("IRONBELL_HTTP_PORT", "0"))) {
            // started whole (its database created) and stopped as an operator stops it
            Await.until("the first start", Duration.ofMinutes(2), () -> server.output().stream()
                    .anyMatch(l -> l.contains("started with")) ? true : null);
            server.terminate(Duration.ofSeconds(30));
        }
        // Edit the copied conf/ironbell.properties, as an operator would, and start again without overrides.
        Path conf = home.resolve("conf/ironbell.properties");
        Files.writeString(conf, Files.readString(conf).replace("http.port = 8080", "http.port = " + port));
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/ironbell").toString(), "server").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("out.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("IRONBELL_"));
        Process p = pb.start();
        try {
            awaitHealthy(port);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the server said:\n" + Files.readString(tmp.resolve("out.log")), e);
        } finally {
            p.toHandle().destroy();
            assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @CsvSource({"IRONBELL_LOG_LEVEL, LOUD, log.level", "IRONBELL_HTTP_PORT, abc, http.port"})
    void anInvalidSettingStopsTheStartWithItsName(String variable, String value, String key, @TempDir Path tmp) throws Exception {
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), Map.of(variable, value))) {
            assertTrue(server.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            server.terminate(Duration.ofSeconds(1));
            assertEquals(78, server.process().exitValue());
            assertTrue(server.output().stream().anyMatch(l -> l.contains(key) && l.contains("'" + value + "'")),
                    server.output()::toString);
            assertFalse(server.output().stream().anyMatch(l -> l.contains("started")));
        }
    }

    private static Duration awaitHealthy(int port) {
        return Await.until("GET /healthz on port " + port, Duration.ofSeconds(90),
                () -> Http.get("http://127.0.0.1:" + port + "/healthz").status() == 200 ? Boolean.TRUE : null).elapsed();
    }
}
