package io.ironbell.testing;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.workflow.ActionStatus.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What an action plugin sees of the worker, for tests that run a plugin directly: the
 * environment they give, and the log lines, progress and success-before-jump it reports.
 */
public final class TestActionContext implements ActionContext {

    private final Map<String, String> environment;
    private final String image;
    private final Instant started = Instant.now();
    /** Log lines the action wrote. */
    public final List<String> lines = new CopyOnWriteArrayList<>();
    /** Progress the action reported. */
    public final List<Progress> progress = new CopyOnWriteArrayList<>();
    /** Messages passed to {@link #reportSuccessBeforeJump}. */
    public final List<String> jumps = new CopyOnWriteArrayList<>();
    /** The template's command, volumes and pid, for plugins that use them (the container action). */
    public volatile List<String> command = List.of();
    public volatile List<String> volumes = List.of();
    public volatile String pid;
    /** How long the action may run. */
    public volatile Duration timeout = Duration.ofMinutes(5);
    /** Set to cancel the action, as an operator would. */
    public volatile boolean cancelled;
    /** When set, {@link #reportSuccessBeforeJump} throws it, as when the server cannot be told. */
    public volatile ActionException jumpFailure;

    public TestActionContext(String image, Map<String, String> environment) {
        this.image = image;
        this.environment = new HashMap<>(environment);
    }

    @Override
    public String workflowId() {
        return "wf-test";
    }

    @Override
    public String workerId() {
        return "52:54:00:00:00:01";
    }

    @Override
    public String actionName() {
        return "test-action";
    }

    @Override
    public String image() {
        return image;
    }

    @Override
    public Map<String, String> environment() {
        return environment;
    }

    @Override
    public List<String> command() {
        return command;
    }

    @Override
    public List<String> volumes() {
        return volumes;
    }

    @Override
    public Optional<String> pid() {
        return Optional.ofNullable(pid);
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    @Override
    public Instant deadline() {
        return started.plus(timeout());
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void progress(Progress p) {
        progress.add(p);
    }

    @Override
    public void log(String line) {
        lines.add(line);
    }

    @Override
    public void reportSuccessBeforeJump(String message) throws ActionException {
        if (jumpFailure != null) {
            throw jumpFailure;
        }
        jumps.add(message);
    }
}
