package io.ironbell.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * Ironbell's REST API ({@code <server>/api/v1}) as a Java caller sees it: every call is bounded
 * in time, answers are read into the type the caller names, and every failure is one
 * {@link ApiException} carrying the server's own message.
 *
 * <p>Bodies: a {@code String} or {@code byte[]} is sent as it is, with the content type given;
 * anything else is written as JSON. Answers: read as JSON into the type asked for ({@code String}
 * and {@code byte[]} get the body as it is); {@code null} when the server answered with no body (204). Thread-safe; one instance per
 * server and token is meant to be kept and shared.
 */
public final class ApiClient {

    /** How long a connection may take to open. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** How long a call may take from request to the end of the answer, unless the caller says otherwise. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private static final String JSON = "application/json";
    private static final int MAX_MESSAGE = 300;

    private final ObjectMapper json = Json.mapper();
    private final HttpClient http;
    private final String base;
    private final String token;

    /**
     * @param server the server's base URL, {@code http(s)://host:port} (a trailing slash is ignored)
     * @param token  the bearer token to show, or {@code null} or blank for none
     */
    public ApiClient(URI server, String token) {
        this(server, token, Trust.system());
    }

    /**
     * @param server the server's base URL, {@code http(s)://host:port} (a trailing slash is ignored)
     * @param token  the bearer token to show, or {@code null} or blank for none
     * @param trust  which HTTPS servers to believe ({@link Trust})
     */
    public ApiClient(URI server, String token, SSLContext trust) {
        String s = server.toString();
        this.base = (s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + "/api/v1";
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).sslContext(trust)
                .build();
    }

    /** The server's base URL, as given. */
    public String server() {
        return base.substring(0, base.length() - "/api/v1".length());
    }

    /** A path segment or query value, percent-encoded ({@code %20} for a space). */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code GET path}, read into {@code type}. */
    public <T> T get(String path, Class<T> type) throws ApiException, InterruptedException {
        return send("GET", path, null, null, type, REQUEST_TIMEOUT);
    }

    /** {@code POST path} with {@code body} as JSON, the answer read into {@code type}. */
    public <T> T post(String path, Object body, Class<T> type) throws ApiException, InterruptedException {
        return send("POST", path, body, JSON, type, REQUEST_TIMEOUT);
    }

    /** {@code PUT path} with {@code body} as JSON, the answer read into {@code type}. */
    public <T> T put(String path, Object body, Class<T> type) throws ApiException, InterruptedException {
        return send("PUT", path, body, JSON, type, REQUEST_TIMEOUT);
    }

    /** {@code DELETE path}, the answer read into {@code type}. */
    public <T> T delete(String path, Class<T> type) throws ApiException, InterruptedException {
        return send("DELETE", path, null, null, type, REQUEST_TIMEOUT);
    }

    /**
     * Sends one request and reads its answer.
     *
     * @param method      the HTTP method
     * @param path        below {@code /api/v1}, starting with {@code /}, query included, already encoded
     * @param body        {@code null} for none, a {@code String} sent as it is, or an object written as JSON
     * @param contentType the body's content type ({@code application/json} when {@code null} and a body is given)
     * @param type        what to read the answer into
     * @param timeout     how long the whole call may take
     * @return the answer, or {@code null} when it had no body
     * @throws ApiException when the server refused the call (status 300 and above) or did not answer
     */
    public <T> T send(String method, String path, Object body, String contentType, Class<T> type, Duration timeout)
            throws ApiException, InterruptedException {
        return send(method, path, body, contentType, java.util.Map.of(), type, timeout);
    }

    /** {@link #send(String, String, Object, String, Class, Duration)} with more request headers (e.g. a plugin's signature). */
    public <T> T send(String method, String path, Object body, String contentType, java.util.Map<String, String> headers, Class<T> type,
                      Duration timeout) throws ApiException, InterruptedException {
        HttpRequest.Builder b = request(path, timeout).header("Accept", JSON);
        headers.forEach(b::header);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType == null ? JSON : contentType);
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw unreachable(method, path, e);
        }
        if (r.statusCode() >= 300) {
            throw refused(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        }
        return read(r.body(), type, method, path);
    }

    /**
     * Follows a Server-Sent Events stream ({@code text/event-stream}), handing each event's
     * {@code data} to {@code onEvent} read into {@code type}, until the server ends it. It has no
     * overall time limit (a stream may rightly last hours); the caller ends it by interrupting.
     *
     * @throws ApiException when the server refused the stream, did not answer, or the stream broke
     */
    public <T> void stream(String path, Class<T> type, Consumer<? super T> onEvent) throws ApiException, InterruptedException {
        HttpRequest req = request(path, Duration.ofDays(365)).header("Accept", "text/event-stream").GET().build();
        HttpResponse<InputStream> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable("GET", path, e);
        }
        try (InputStream in = r.body();
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            if (r.statusCode() >= 300) {
                throw refused(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data:")) {
                    onEvent.accept(read(line.substring(5).trim().getBytes(StandardCharsets.UTF_8), type, "GET", path));
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } catch (ApiException e) {
            throw e;
        } catch (IOException e) {
            throw new ApiException(ApiException.UNREACHABLE, null, "the stream from " + server() + " broke: " + describe(e));
        }
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private byte[] bytes(Object body) throws ApiException {
        if (body instanceof byte[] b) {
            return b;
        }
        if (body instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new ApiException(400, null, "cannot write the request as JSON: " + e.getMessage());
        }
    }

    private <T> T read(byte[] body, Class<T> type, String method, String path) throws ApiException {
        if (body.length == 0 || type == Void.class) {
            return null;
        }
        if (type == String.class) {
            return type.cast(new String(body, StandardCharsets.UTF_8));
        }
        if (type == byte[].class) {
            return type.cast(body);
        }
        try {
            return json.readValue(body, type);
        } catch (IOException e) {
            // the server answered, but not with what it promises: as bad as a server error
            throw new ApiException(502, null, method + " " + path + " answered what is not a " + type.getSimpleName() + ": "
                    + e.getMessage());
        }
    }

    private ApiException unreachable(String method, String path, IOException e) {
        if (e instanceof ConnectException) {
            return new ApiException(ApiException.UNREACHABLE, null, "no Ironbell server answers at " + server() + " for " + method + " /api/v1" + path);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLHandshakeException h) {
                return new ApiException(ApiException.UNTRUSTED, null, "the server at " + server() + " is not trusted (wrong CA, pin or "
                        + "name; see --ca): " + (h.getMessage() == null ? "handshake failed" : h.getMessage()));
            }
        }
        if (e instanceof HttpTimeoutException) {
            return new ApiException(ApiException.UNREACHABLE, null, method + " " + path + " got no answer from " + server() + " in time");
        }
        return new ApiException(ApiException.UNREACHABLE, null, "cannot talk to " + server() + ": " + describe(e));
    }

    /** The server's own words from its error body ({@code {"code": …, "message": …}}), or the body as it is. */
    private ApiException refused(int status, String body) {
        String code = null;
        String message = body.isBlank() ? "HTTP " + status : body;
        try {
            var error = json.readTree(body);
            if (error != null && error.hasNonNull("message")) {
                message = error.get("message").asText();
                code = error.hasNonNull("code") ? error.get("code").asText() : null;
            }
        } catch (IOException ignored) {
            // not JSON: the body as it is
        }
        return new ApiException(status, code, message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message);
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
