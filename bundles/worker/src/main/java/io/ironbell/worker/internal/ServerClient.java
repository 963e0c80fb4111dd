package io.ironbell.worker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worker's side of {@code /api/v1/worker/{mac}/...}: ask for the next action, report on it,
 * append log lines. Every call is bounded in time; failures say whether trying again can help.
 */
final class ServerClient {

    /** A call that failed; {@link #retryable()} when the server may accept it later. */
    static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        Failure(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or 0 when the server was not reached. */
        int status() {
            return status;
        }

        /** Unreachable, 5xx, 408 or 429: worth trying again. Other 4xx: the server refused it for good. */
        boolean retryable() {
            return status == 0 || status >= 500 || status == 408 || status == 429;
        }
    }

    /** A log line as the server's log route takes it. */
    record Line(String text, String source, String severity, Instant at) {
    }

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ObjectMapper json = Json.mapper();
    private final HttpClient http;
    private final String base;
    private final String token;

    /**
     * @param server the server's base URL, {@code http://host:port}
     * @param worker this machine's MAC address
     * @param token  the admin token, or empty (the server then knows the machine by its address)
     */
    ServerClient(URI server, String worker, String token) {
        String s = server.toString();
        this.base = (s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + "/api/v1/worker/" + worker + "/";
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The next action for this machine, or empty when there is none now. */
    Optional<WorkerAction> next() throws Failure, InterruptedException {
        HttpResponse<byte[]> r = send(request("next").GET().build());
        if (r.statusCode() == 204) {
            return Optional.empty();
        }
        return Optional.of(parse(r, WorkerAction.class));
    }

    /**
     * Sends a report.
     *
     * @return the workflow's state after it
     * @throws Failure 409 when the server has already moved on (the action ended, was retried
     *                 or cancelled): the report can never be accepted
     */
    ExecutionState report(ActionReport report) throws Failure, InterruptedException {
        HttpResponse<byte[]> r = send(post("report", report));
        JsonNode answer = parse(r, JsonNode.class);
        return ExecutionState.valueOf(answer.path("state").asText("RUNNING"));
    }

    /** Appends lines to the machine's log. */
    void logs(List<Line> lines) throws Failure, InterruptedException {
        send(post("logs", Map.of("lines", lines)));
    }

    private HttpRequest.Builder request(String op) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + op)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (!token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private HttpRequest post(String op, Object body) throws Failure {
        try {
            return request(op).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new Failure(400, "cannot encode " + op + ": " + e.getMessage());
        }
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws Failure, InterruptedException {
        HttpResponse<byte[]> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Failure(0, request.method() + " " + request.uri() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (r.statusCode() >= 300) {
            String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            String message = body;
            try {
                message = json.readTree(body).path("message").asText(body);
            } catch (IOException ignored) {
                // not JSON: the body as it is
            }
            throw new Failure(r.statusCode(), request.method() + " " + request.uri().getPath() + " answered " + r.statusCode() + ": "
                    + (message.length() > 300 ? message.substring(0, 300) + "…" : message));
        }
        return r;
    }

    private <T> T parse(HttpResponse<byte[]> r, Class<T> type) throws Failure {
        try {
            return json.readValue(r.body(), type);
        } catch (IOException e) {
            throw new Failure(502, r.uri().getPath() + " answered what is not a " + type.getSimpleName() + ": " + e.getMessage());
        }
    }
}
