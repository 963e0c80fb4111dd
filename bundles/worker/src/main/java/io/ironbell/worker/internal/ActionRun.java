package io.ironbell.worker.internal;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.workflow.ActionStatus.Progress;
import io.ironbell.api.workflow.WorkerAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** One run of one action: what its plugin sees of the worker. */
final class ActionRun implements ActionContext {

    /** Tells the server of success before a jump; the worker implements it. */
    @FunctionalInterface
    interface JumpReporter {
        void reportSuccess(ActionRun run, String message) throws ActionException;
    }

    private final WorkerAction action;
    private final String worker;
    private final LogShipper logs;
    private final JumpReporter jump;
    private final Instant started = Instant.now();
    private final AtomicReference<Progress> progress = new AtomicReference<>();
    private volatile boolean cancelled;
    private volatile boolean reportedBeforeJump;

    ActionRun(WorkerAction action, String worker, LogShipper logs, JumpReporter jump) {
        this.action = action;
        this.worker = worker;
        this.logs = logs;
        this.jump = jump;
    }

    WorkerAction action() {
        return action;
    }

    /** Asks the plugin to stop. */
    void cancel() {
        cancelled = true;
    }

    /** The latest progress the plugin reported, or null. */
    Progress latestProgress() {
        return progress.get();
    }

    boolean reportedBeforeJump() {
        return reportedBeforeJump;
    }

    @Override
    public String workflowId() {
        return action.workflowId();
    }

    @Override
    public String workerId() {
        return worker;
    }

    @Override
    public String actionName() {
        return action.name();
    }

    @Override
    public String image() {
        return action.image();
    }

    @Override
    public Map<String, String> environment() {
        return action.environment() == null ? Map.of() : java.util.Collections.unmodifiableMap(action.environment());
    }

    @Override
    public List<String> command() {
        return action.command() == null ? List.of() : action.command();
    }

    @Override
    public List<String> volumes() {
        return action.volumes() == null ? List.of() : action.volumes();
    }

    @Override
    public Optional<String> pid() {
        return Optional.ofNullable(action.pid()).filter(p -> !p.isBlank());
    }

    @Override
    public Duration timeout() {
        return Duration.ofSeconds(action.timeout());
    }

    @Override
    public Instant deadline() {
        return started.plus(timeout());
    }

    @Override
    public boolean isCancelled() {
        return cancelled || Thread.currentThread().isInterrupted();
    }

    @Override
    public void progress(Progress p) {
        if (p != null) {
            progress.set(p);
        }
    }

    @Override
    public void log(String line) {
        if (line != null) {
            logs.add(action.name(), line);
        }
    }

    @Override
    public void reportSuccessBeforeJump(String message) throws ActionException {
        jump.reportSuccess(this, message);
        reportedBeforeJump = true;
    }
}
