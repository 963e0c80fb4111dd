package io.ironbell.worker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.client.ApiClient;
import io.ironbell.client.ApiException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The worker's side of {@code /api/v1/worker/{mac}/...} over {@link ApiClient}: ask for the next
 * action, report on it, append log lines. Every call is bounded in time; an {@link ApiException}
 * says whether trying again can help ({@link ApiException#retryable()}).
 */
final class ServerClient {

    /** A log line as the server's log route takes it. */
    record Line(String text, String source, String severity, Instant at) {
    }

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ApiClient api;
    private final String base;

    /**
     * @param server the server's base URL, {@code http://host:port}
     * @param worker this machine's MAC address
     * @param token  the admin token, or empty (the server then knows the machine by its address)
     */
    ServerClient(URI server, String worker, String token) {
        this.api = new ApiClient(server, token);
        this.base = "/worker/" + worker + "/";
    }

    /** The next action for this machine, or empty when there is none now. */
    Optional<WorkerAction> next() throws ApiException, InterruptedException {
        return Optional.ofNullable(api.send("GET", base + "next", null, null, WorkerAction.class, REQUEST_TIMEOUT));
    }

    /**
     * Sends a report.
     *
     * @return the workflow's state after it
     * @throws ApiException 409 when the server has already moved on (the action ended, was retried
     *                      or cancelled): the report can never be accepted
     */
    ExecutionState report(ActionReport report) throws ApiException, InterruptedException {
        JsonNode answer = api.send("POST", base + "report", report, null, JsonNode.class, REQUEST_TIMEOUT);
        return ExecutionState.valueOf(answer == null ? "RUNNING" : answer.path("state").asText("RUNNING"));
    }

    /** Appends lines to the machine's log. */
    void logs(List<Line> lines) throws ApiException, InterruptedException {
        api.send("POST", base + "logs", Map.of("lines", lines), null, Void.class, REQUEST_TIMEOUT);
    }
}
