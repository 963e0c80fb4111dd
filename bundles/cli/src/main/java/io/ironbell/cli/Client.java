package io.ironbell.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The REST API, as the CLI calls it; failures become {@link CliException}s with exit codes. */
final class Client {

    private final Connection connection;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Client(Connection connection) {
        this.connection = connection;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) throws CliException {
        return send("GET", path, null, null);
    }

    JsonNode post(String path, String body, String contentType) throws CliException {
        return send("POST", path, body, contentType);
    }

    JsonNode put(String path, String body, String contentType) throws CliException {
        return send("PUT", path, body, contentType);
    }

    JsonNode delete(String path) throws CliException {
        return send("DELETE", path, null, null);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(connection.server() + "/api/v1" + path)).timeout(Duration.ofSeconds(60));
        if (connection.token() != null) {
            b.header("Authorization", "Bearer " + connection.token());
        }
        return b;
    }

    private JsonNode send(String method, String path, String body, String contentType) throws CliException {
        HttpRequest.Builder b = request(path);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 400) {
                throw failure(r.statusCode(), r.body());
            }
            return r.body().isBlank() ? null : Json.mapper().readTree(r.body());
        } catch (ConnectException e) {
            throw unreachable();
        } catch (IOException e) {
            throw new CliException(CliException.UNREACHABLE, "cannot talk to " + connection.server() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.ERROR, "interrupted");
        }
    }

    /** Reads a Server-Sent Events stream, handing each event's data to {@code onData}, until it ends. */
    void stream(String path, Consumer<JsonNode> onData) throws CliException {
        HttpRequest req = request(path).timeout(Duration.ofDays(1)).header("Accept", "text/event-stream").GET().build();
        try {
            HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() >= 400) {
                throw failure(r.statusCode(), String.join("\n", r.body().toList()));
            }
            try (Stream<String> lines = r.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.startsWith("data: ")) {
                        onData.accept(Json.mapper().readTree(line.substring(6)));
                    }
                }
            }
        } catch (ConnectException e) {
            throw unreachable();
        } catch (IOException e) {
            throw new CliException(CliException.UNREACHABLE, "the stream from " + connection.server() + " broke: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CliException unreachable() {
        return new CliException(CliException.UNREACHABLE, "no Ironbell server answers at " + connection.server()
                + " (set --server or IRONBELL_SERVER)");
    }

    private static CliException failure(int status, String body) {
        String message = body;
        try {
            JsonNode j = Json.mapper().readTree(body);
            if (j != null && j.has("message")) {
                message = j.get("message").asText();
            }
        } catch (IOException ignored) {
            // not JSON: show it as it is
        }
        int code = status == 404 ? CliException.NOT_FOUND : status == 401 || status == 403 ? CliException.DENIED
                : status == 409 ? CliException.CONFLICT : status >= 500 ? CliException.SERVER : CliException.ERROR;
        return new CliException(code, message + " (HTTP " + status + ")");
    }
}
