package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the tests that drive a whole server share: admin calls of its API, their JSON, the end of a VM's console. */
final class ItApi {

    private ItApi() {
    }

    /** {@code METHOD /api/v1PATH} over HTTPS with the admin token, bounded by 10 s. */
    static Http.Response call(ServerProcess server, String token, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return Http.send(b.build());
    }

    /** The body of a 200 or 201, read; any other status fails the test with the body. */
    static JsonNode json(Http.Response r) throws IOException {
        assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.body());
        return Json.mapper().readTree(r.body());
    }

    /** The last {@code chars} characters of a file (a serial console), or "(none)". */
    static String tail(Path file, int chars) throws IOException {
        if (!Files.exists(file)) {
            return "(none)";
        }
        String s = Files.readString(file, StandardCharsets.ISO_8859_1);
        return s.length() > chars ? s.substring(s.length() - chars) : s;
    }
}
