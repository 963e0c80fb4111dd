package io.ironbell.engine.internal;

import io.ironbell.api.template.Task;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowException.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The workflow state machine, without I/O: given a workflow and what happened, the workflow
 * that follows and the events that say so. The engine stores both in one transaction.
 */
final class StateMachine {

    /** Longest message kept of a report, with the ellipsis that ends a longer one. */
    static final int MAX_MESSAGE_CHARS = 2048;

    /**
     * What follows.
     *
     * @param workflow the new workflow, or the old one unchanged
     * @param events   the events of the transitions (none for a progress report)
     * @param changed  whether there is anything to store
     * @param progress whether the events only tell a running action's new message, not a
     *                 transition: the engine may leave them out (see {@link EventBudget})
     */
    record Outcome(Workflow workflow, List<WorkflowEvent> events, boolean changed, boolean progress) {

        Outcome(Workflow workflow, List<WorkflowEvent> events) {
            this(workflow, events, true, false);
        }

        static Outcome unchanged(Workflow w) {
            return new Outcome(w, List.of(), false, false);
        }

        /** The same workflow with other events. */
        Outcome withEvents(List<WorkflowEvent> other) {
            return new Outcome(workflow, other, changed, progress);
        }
    }

    private StateMachine() {
    }

    /** A worker's report on action {@code report.actionIndex()}. */
    static Outcome report(Workflow w, ActionReport report, Instant now) throws WorkflowException {
        int idx = report.actionIndex();
        if (idx < 0 || idx >= w.actions().size()) {
            throw new WorkflowException(Reason.INVALID, "actionIndex " + idx + " is out of range: workflow " + w.id()
                    + " has " + w.actions().size() + " actions");
        }
        ExecutionState state = report.state();
        if (state == null || state == ExecutionState.PENDING || state == ExecutionState.CANCELLED) {
            throw new WorkflowException(Reason.INVALID, "state must be RUNNING, SUCCESS, FAILED or TIMEOUT, was " + state);
        }
        ActionStatus a = w.actions().get(idx);
        if (w.state().isTerminal() || idx != w.currentAction() || a.state() != ExecutionState.RUNNING) {
            if (a.state() == state || state == ExecutionState.RUNNING && a.state().isTerminal()) {
                return Outcome.unchanged(w); // a repeated report: already recorded
            }
            throw new WorkflowException(Reason.CONFLICT, "action " + idx + " (" + a.name() + ") of workflow " + w.id() + " is "
                    + a.state() + (w.state().isTerminal() ? " and the workflow has ended " + w.state() : "") + "; it cannot become " + state);
        }
        List<ActionStatus> actions = new ArrayList<>(w.actions());
        List<WorkflowEvent> events = new ArrayList<>();
        String reported = cut(report.message());
        String message = reported == null ? a.message() : reported;
        switch (state) {
            case RUNNING -> {
                actions.set(idx, with(a, ExecutionState.RUNNING, a.finishedAt(), message, report.progress() == null ? a.progress() : report.progress()));
                Workflow next = copy(w, w.state(), actions, idx, w.startedAt());
                if (actions.get(idx).equals(a)) {
                    return Outcome.unchanged(w);
                }
                // progress is not an event; a new message is
                if (reported != null && !reported.equals(a.message())) {
                    events.add(event(w, a, ExecutionState.RUNNING, reported));
                }
                return new Outcome(next, events, true, true);
            }
            case SUCCESS -> {
                actions.set(idx, with(a, ExecutionState.SUCCESS, now, message, report.progress() == null ? a.progress() : report.progress()));
                events.add(event(w, a, ExecutionState.SUCCESS, message));
                if (idx == actions.size() - 1) {
                    events.add(event(w, null, ExecutionState.SUCCESS, "all " + actions.size() + " actions succeeded"));
                    return new Outcome(copy(w, ExecutionState.SUCCESS, actions, idx, w.startedAt()), events);
                }
                return new Outcome(copy(w, ExecutionState.RUNNING, actions, idx + 1, w.startedAt()), events);
            }
            default -> {
                return fail(w, idx, state, message == null ? state.name().toLowerCase() : message, now);
            }
        }
    }

    /**
     * A worker's message as it is kept: at most {@link #MAX_MESSAGE_CHARS}, a longer one cut and
     * ended with an ellipsis (never inside a surrogate pair). Every report becomes the action's
     * message and may become an event, so its length bounds what one report can store.
     */
    static String cut(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return message;
        }
        int keep = MAX_MESSAGE_CHARS - 1;
        if (Character.isHighSurrogate(message.charAt(keep - 1))) {
            keep--;
        }
        return message.substring(0, keep) + "…";
    }

    /** The current action failed or timed out: retried while it has retries left, else the workflow ends. */
    static Outcome fail(Workflow w, int idx, ExecutionState state, String message, Instant now) {
        List<ActionStatus> actions = new ArrayList<>(w.actions());
        ActionStatus a = actions.get(idx);
        int retries = retries(w, idx);
        List<WorkflowEvent> events = new ArrayList<>();
        if (a.attempts() <= retries) {
            actions.set(idx, with(a, ExecutionState.PENDING, null, message, a.progress()));
            events.add(event(w, a, state, message + "; retry " + a.attempts() + " of " + retries));
            return new Outcome(copy(w, ExecutionState.RUNNING, actions, idx, w.startedAt()), events);
        }
        actions.set(idx, with(a, state, now, message, a.progress()));
        events.add(event(w, a, state, message));
        events.add(event(w, null, state, "action " + a.name() + " " + state + (retries > 0 ? " after " + a.attempts() + " attempts" : "")
                + ": " + message));
        return new Outcome(copy(w, state, actions, idx, w.startedAt()), events);
    }

    /** The workflow ran past its global timeout. */
    static Outcome globalTimeout(Workflow w, Instant now) {
        return end(w, ExecutionState.TIMEOUT, "global_timeout of " + w.template().globalTimeout() + " s exceeded", now);
    }

    /** An operator cancelled the workflow. */
    static Outcome cancel(Workflow w, Instant now) throws WorkflowException {
        if (w.state().isTerminal()) {
            throw new WorkflowException(Reason.CONFLICT, "workflow " + w.id() + " has already ended " + w.state());
        }
        return end(w, ExecutionState.CANCELLED, "cancelled", now);
    }

    /** Fails a workflow from outside (its boot job failed); one that has ended stays as it is. */
    static Outcome fail(Workflow w, String reason, Instant now) {
        if (w.state().isTerminal()) {
            return Outcome.unchanged(w);
        }
        return end(w, ExecutionState.FAILED, reason, now);
    }

    private static Outcome end(Workflow w, ExecutionState state, String message, Instant now) {
        List<ActionStatus> actions = new ArrayList<>(w.actions());
        List<WorkflowEvent> events = new ArrayList<>();
        int idx = w.currentAction();
        if (idx < actions.size() && !actions.get(idx).state().isTerminal()) {
            ActionStatus a = actions.get(idx);
            actions.set(idx, with(a, state, now, message, a.progress()));
            events.add(event(w, a, state, message));
        }
        events.add(event(w, null, state, message));
        return new Outcome(copy(w, state, actions, idx, w.startedAt()), events);
    }

    /** The {@code retries} of the action at {@code idx}, counted through the template's tasks. */
    static int retries(Workflow w, int idx) {
        TemplateAction t = templateAction(w, idx);
        return t == null || t.retries() == null ? 0 : t.retries();
    }

    static TemplateAction templateAction(Workflow w, int idx) {
        int k = 0;
        for (Task task : w.template().tasks()) {
            for (TemplateAction a : task.actions()) {
                if (k++ == idx) {
                    return a;
                }
            }
        }
        return null;
    }

    static Task task(Workflow w, int idx) {
        int k = 0;
        for (Task task : w.template().tasks()) {
            k += task.actions().size();
            if (idx < k) {
                return task;
            }
        }
        return null;
    }

    private static ActionStatus with(ActionStatus a, ExecutionState state, Instant finishedAt, String message, ActionStatus.Progress progress) {
        return new ActionStatus(a.task(), a.name(), a.worker(), state, a.attempts(), a.startedAt(), finishedAt, message, progress);
    }

    private static Workflow copy(Workflow w, ExecutionState state, List<ActionStatus> actions, int current, Instant startedAt) {
        return new Workflow(w.id(), w.templateId(), w.templateRevision(), w.hardwareMap(), w.template(), state, actions, current,
                w.createdAt(), startedAt, w.updatedAt(), w.version(), w.plugins(), w.bootOptions());
    }

    private static WorkflowEvent event(Workflow w, ActionStatus a, ExecutionState state, String message) {
        if (a == null) {
            return new WorkflowEvent(0, w.id(), null, null, null, state, message, null);
        }
        return new WorkflowEvent(0, w.id(), a.worker(), a.task(), a.name(), state == null ? a.state() : state, message, null);
    }
}
