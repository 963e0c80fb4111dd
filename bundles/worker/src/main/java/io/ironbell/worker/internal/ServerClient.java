package io.ironbell.worker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.client.ApiClient;
import io.ironbell.client.ApiException;
import io.ironbell.client.Trust;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    private static final Logger LOG = LoggerFactory.getLogger(ServerClient.class);

    private final URI server;
    private final SSLContext trust;
    private final String bootToken;
    private final Path sessionFile;
    private final String base;
    private volatile ApiClient api;
    /** What {@link #api} authenticates with. */
    private volatile String credential;

    /** A client with a token given (tests): no boot token to exchange. */
    ServerClient(URI server, String worker, String token) {
        this(server, worker, token, Trust.system(), "", null);
    }

    /**
     * @param server      the server's base URL, {@code https://host:port}
     * @param worker      this machine's MAC address
     * @param token       an admin token, or empty: the machine's session is used
     * @param trust       which server certificate to believe
     * @param bootToken   the boot token of the kernel command line, exchanged for the session before the first call; or empty
     * @param sessionFile where the session is kept (0600) so that a restarted worker of the same boot finds it again
     */
    ServerClient(URI server, String worker, String token, SSLContext trust, String bootToken, Path sessionFile) {
        this.server = server;
        this.trust = trust;
        this.bootToken = bootToken;
        this.sessionFile = sessionFile;
        this.base = "/worker/" + worker + "/";
        if (!token.isEmpty() || bootToken.isEmpty()) {
            this.credential = token;
            this.api = new ApiClient(server, token, trust);
        } else {
            stored().ifPresent(session -> {
                this.credential = session;
                this.api = new ApiClient(server, session, trust);
            });
        }
    }

    /**
     * Drops the connections: after this machine's address changed, those made from the old one are
     * dead, and a request on one would wait for its timeout.
     */
    synchronized void reconnect() {
        if (api != null) {
            api = new ApiClient(server, credential, trust);
        }
    }

    /** The client with the machine's session, exchanging the boot token first if that has not happened. */
    private ApiClient api() throws ApiException, InterruptedException {
        ApiClient a = api;
        if (a != null) {
            return a;
        }
        synchronized (this) {
            if (api == null) {
                JsonNode answer = new ApiClient(server, null, trust).send("POST", "/machines/session", Map.of("bootToken", bootToken), null,
                        JsonNode.class, REQUEST_TIMEOUT);
                String session = answer == null ? "" : answer.path("token").asText("");
                if (session.isEmpty()) {
                    throw new ApiException(502, null, "the server answered the boot token's exchange without a session");
                }
                store(session);
                credential = session;
                LOG.info("exchanged the boot token for this machine's session (hardware {}, until {})", answer.path("hardware").asText(),
                        answer.path("expiresAt").asText());
                api = new ApiClient(server, session, trust);
            }
            return api;
        }
    }

    /** The session stored for this boot token, if a worker of this boot stored one. */
    private Optional<String> stored() {
        try {
            if (sessionFile != null && Files.isRegularFile(sessionFile)) {
                List<String> lines = Files.readAllLines(sessionFile);
                if (lines.size() == 2 && lines.get(0).equals(digest(bootToken))) {
                    return Optional.of(lines.get(1));
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read the stored session {}: {}", sessionFile, e.getMessage());
        }
        return Optional.empty();
    }

    private void store(String session) {
        if (sessionFile == null) {
            return;
        }
        try {
            Files.createDirectories(sessionFile.getParent());
            Path tmp = sessionFile.resolveSibling("session.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, digest(bootToken) + "\n" + session + "\n");
            Files.move(tmp, sessionFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot keep the session in {} ({}); a restarted worker of this boot will not find it", sessionFile, e.getMessage());
        }
    }

    private static String digest(String text) {
        return io.ironbell.api.plugin.PluginArtifact.digest(text.getBytes(StandardCharsets.US_ASCII)).substring("sha256:".length());
    }

    /**
     * The next action for this machine, or empty when there is none: at once, or with a long poll
     * that the server answers the moment one is due, or empty after {@code wait}.
     */
    Optional<WorkerAction> next(Duration wait) throws ApiException, InterruptedException {
        if (wait.isZero()) {
            return Optional.ofNullable(api().send("GET", base + "next", null, null, WorkerAction.class, REQUEST_TIMEOUT));
        }
        return Optional.ofNullable(api().send("GET", base + "next?wait=" + wait.toSeconds(), null, null, WorkerAction.class,
                REQUEST_TIMEOUT.plus(wait)));
    }

    /**
     * Sends a report.
     *
     * @return the workflow's state after it
     * @throws ApiException 409 when the server has already moved on (the action ended, was retried
     *                      or cancelled): the report can never be accepted
     */
    ExecutionState report(ActionReport report) throws ApiException, InterruptedException {
        JsonNode answer = api().send("POST", base + "report", report, null, JsonNode.class, REQUEST_TIMEOUT);
        return ExecutionState.valueOf(answer == null ? "RUNNING" : answer.path("state").asText("RUNNING"));
    }

    /** A plugin bundle the workflow pinned, by its digest. */
    byte[] plugin(String digest) throws ApiException, InterruptedException {
        byte[] jar = api().send("GET", base + "plugins/" + digest, null, null, byte[].class, java.time.Duration.ofMinutes(2));
        return jar == null ? new byte[0] : jar;
    }

    /** The public keys (PEM) that must have signed a plugin pulled from a registry; empty when the operator set none. */
    List<String> trustedKeys() throws ApiException, InterruptedException {
        JsonNode answer = api().send("GET", base + "trusted-keys", null, null, JsonNode.class, REQUEST_TIMEOUT);
        List<String> keys = new java.util.ArrayList<>();
        if (answer != null) {
            answer.path("trustedKeys").forEach(k -> keys.add(k.asText()));
        }
        return keys;
    }

    /**
     * Reports what this machine is (at every start of the worker, so that a changed machine is seen).
     *
     * @return the server's answer: what the enrollment rules decided, when the machine waited for them
     */
    JsonNode inventory(io.ironbell.api.discovery.Inventory inventory) throws ApiException, InterruptedException {
        return api().send("POST", base + "inventory", inventory, null, JsonNode.class, REQUEST_TIMEOUT);
    }

    /** Appends lines to the machine's log. */
    void logs(List<Line> lines) throws ApiException, InterruptedException {
        api().send("POST", base + "logs", Map.of("lines", lines), null, Void.class, REQUEST_TIMEOUT);
    }
}
