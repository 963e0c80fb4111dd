package io.ironbell.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionTest {

    @Test
    void flagsWinOverEnvironmentOverConfigFileOverTheLocalInstall(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("ironbell");
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("data"));
        Files.writeString(home.resolve("conf/ironbell.properties"), "http.port = 9191\n");
        Files.writeString(home.resolve("data/api-token"), "local-token-0123456789\n");
        Path user = dir.resolve("cli.properties");

        Connection local = Connection.resolve(null, null, Map.of(), user, home);
        assertEquals("https://127.0.0.1:8443", local.server(), "HTTPS unless http.tls is false");
        Files.writeString(home.resolve("conf/ironbell.properties"), "http.port = 9191\nhttp.tlsPort = 9443\n");
        assertEquals("https://127.0.0.1:9443", Connection.resolve(null, null, Map.of(), user, home).server());
        assertEquals("https://127.0.0.1:9444", Connection.resolve(null, null, Map.of("IRONBELL_HTTP_TLS_PORT", "9444"), user, home).server());
        Files.writeString(home.resolve("conf/ironbell.properties"), "http.port = 9191\nhttp.tls = false\n");
        local = Connection.resolve(null, null, Map.of(), user, home);
        assertEquals("http://127.0.0.1:9191", local.server());
        assertNull(local.ca(), "no CA made yet");
        Files.createDirectories(home.resolve("data/tls"));
        Files.writeString(home.resolve("data/tls/ca.pem"), "x");
        assertEquals(home.resolve("data/tls/ca.pem"), Connection.resolve(null, null, Map.of(), user, home).ca(), "the local install's CA");
        assertEquals(Path.of("/etc/ca.pem"), Connection.resolve(null, null, "/etc/ca.pem", null, false, Map.of(), user, home).ca());
        Connection pinned = Connection.resolve(null, null, null, null, false, Map.of("IRONBELL_CA_FINGERPRINT", "sha256:ab"), user, home);
        assertEquals("sha256:ab", pinned.pin());
        assertNull(pinned.ca(), "a pin wins over a CA file");
        assertEquals("local-token-0123456789", local.token());

        Files.writeString(user, "server = http://prov.example:8080/\ntoken = file-token\n");
        Connection file = Connection.resolve(null, null, Map.of(), user, home);
        assertEquals("http://prov.example:8080", file.server());
        assertEquals("file-token", file.token());

        Connection env = Connection.resolve(null, null, Map.of("IRONBELL_SERVER", "http://env:1", "IRONBELL_TOKEN", "env-token"), user, home);
        assertEquals("http://env:1", env.server());
        assertEquals("env-token", env.token());

        Connection flags = Connection.resolve("http://flag:2", "flag-token", Map.of("IRONBELL_SERVER", "http://env:1"), user, home);
        assertEquals("http://flag:2", flags.server());
        assertEquals("flag-token", flags.token());
    }

    @Test
    void withNothingConfiguredItTriesThisMachinesDefaultPort(@TempDir Path dir) {
        Connection c = Connection.resolve(null, null, Map.of(), dir.resolve("none.properties"), null);
        assertEquals("https://127.0.0.1:8443", c.server());
        assertNull(c.token());
    }

    @Test
    void progressBars() {
        com.fasterxml.jackson.databind.node.ObjectNode p = io.ironbell.api.json.Json.mapper().createObjectNode();
        p.put("done", 512L << 20).put("total", 1L << 30).put("rate", 100 << 20);
        assertEquals("stream [###############               ] 512.0 MiB / 1.0 GiB (50%)  100.0 MiB/s",
                Main.WorkflowCmd.progressBar("stream", p));
    }
}
