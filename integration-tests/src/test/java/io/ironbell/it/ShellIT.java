package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Gogo commands (ironbell server --console) on the real server. */
class ShellIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));

    @Test
    void theShellKnowsTheNouns(@TempDir Path tmp) throws Exception {
        try (ServerProcess server = ServerProcess.start(DISTRIBUTION, tmp.resolve("home"), Map.of(), "--console")) {
            server.awaitHealthy(Duration.ofSeconds(60));
            Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
            String token = Files.readString(server.home().resolve("data/api-token")).trim();
            Http.Response pushed = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware")))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(ControlPlaneIT.OTHER)).build());
            assertEquals(201, pushed.status(), pushed.body());
            Http.Response tpl = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/templates")))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(ControlPlaneIT.TEMPLATE)).build());
            assertEquals(201, tpl.status(), tpl.body());
            OutputStream shell = server.process().getOutputStream();
            type(shell, "hardware list");
            await(server, "other  52:54:00:00:7f:02");
            type(shell, "template list");
            await(server, "install  revision 1");
            type(shell, "workflow create install device_1=52:54:00:00:7f:02");
            type(shell, "workflow list");
            await(server, "install  PENDING");
            type(shell, "workflow create install device_1=nothing");
            await(server, "error: hardware map: device_1 = 'nothing' is not a known MAC address, IP address or hardware id");
        }
    }

    private static void type(OutputStream shell, String command) throws java.io.IOException {
        shell.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        shell.flush();
    }

    private static void await(ServerProcess server, String text) {
        Await.until("the shell to print '" + text + "'", Duration.ofSeconds(20),
                () -> server.output().stream().anyMatch(l -> l.contains(text)) ? true : null);
    }
}
