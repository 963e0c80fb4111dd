package io.ironbell.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.client.ApiClient;
import io.ironbell.client.ApiException;
import io.ironbell.client.Trust;
import java.net.URI;
import java.util.function.Consumer;

/**
 * The REST API as the CLI calls it: {@link ApiClient} underneath, its failures turned into
 * {@link CliException}s with the exit codes scripts test.
 */
final class Client {

    /** A call to make, which may fail as the API's calls do. */
    private interface Call<T> {
        T run(ApiClient api) throws ApiException, InterruptedException;
    }

    private final ApiClient api;

    Client(Connection connection) throws CliException {
        this.api = new ApiClient(URI.create(connection.server()), connection.token(), trust(connection));
    }

    private static javax.net.ssl.SSLContext trust(Connection c) throws CliException {
        if (c.insecure()) {
            return Trust.insecure();
        }
        try {
            return c.pin() != null ? Trust.pinned(c.pin()) : c.ca() != null ? Trust.caFile(c.ca()) : Trust.system();
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new CliException(CliException.ERROR, e.getMessage());
        }
    }

    static String enc(String s) {
        return ApiClient.encode(s);
    }

    JsonNode get(String path) throws CliException {
        return call(a -> a.get(path, JsonNode.class));
    }

    JsonNode post(String path, String body, String contentType) throws CliException {
        return call(a -> a.send("POST", path, body, contentType, JsonNode.class, ApiClient.REQUEST_TIMEOUT));
    }

    JsonNode put(String path, String body, String contentType) throws CliException {
        return call(a -> a.send("PUT", path, body, contentType, JsonNode.class, ApiClient.REQUEST_TIMEOUT));
    }

    JsonNode delete(String path) throws CliException {
        return call(a -> a.delete(path, JsonNode.class));
    }

    /** Sends bytes as they are, with their content type and more headers (a plugin's jar and its signature). */
    JsonNode send(String method, String path, byte[] body, String contentType, java.util.Map<String, String> headers,
                  java.time.Duration timeout) throws CliException {
        return call(a -> a.send(method, path, body, contentType, headers, JsonNode.class, timeout));
    }

    /** Sends a request that may take as long as {@code timeout}, e.g. a backup. */
    JsonNode send(String method, String path, Object body, java.time.Duration timeout) throws CliException {
        return call(a -> a.send(method, path, body, null, JsonNode.class, timeout));
    }

    /** Reads a Server-Sent Events stream, handing each event's data to {@code onData}, until it ends. */
    void stream(String path, Consumer<JsonNode> onData) throws CliException {
        call(a -> {
            a.stream(path, JsonNode.class, onData);
            return null;
        });
    }

    private <T> T call(Call<T> call) throws CliException {
        try {
            return call.run(api);
        } catch (ApiException e) {
            throw failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.ERROR, "interrupted");
        }
    }

    private CliException failure(ApiException e) {
        if (e.untrusted()) {
            return new CliException(CliException.UNTRUSTED, e.getMessage() + " (give --ca FILE or --ca-fingerprint sha256:...)");
        }
        if (e.unreachable()) {
            return new CliException(CliException.UNREACHABLE, e.getMessage() + " (set --server or IRONBELL_SERVER)");
        }
        int status = e.status();
        int code = status == 404 ? CliException.NOT_FOUND : status == 401 || status == 403 ? CliException.DENIED
                : status == 409 ? CliException.CONFLICT : status >= 500 ? CliException.SERVER : CliException.ERROR;
        return new CliException(code, e.getMessage() + " (HTTP " + status + ")");
    }
}
