package io.ironbell.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.template.Task;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ActionStatus.Progress;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowException.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The transitions of {@link StateMachine}, without a store: each test starts from a workflow in
 * the shape the store leaves it (a claim marks the current action RUNNING with one more attempt,
 * see {@code PgWorkflowStore.claimNext}) and checks the exact workflow and events that follow.
 */
class StateMachineTest {

    static final String ID = "wf-1";
    static final String MAC = "52:54:00:00:00:01";
    static final Instant CREATED = Instant.parse("2026-11-01T10:00:00Z");
    static final Instant STARTED = Instant.parse("2026-11-01T10:01:00Z");
    static final Instant NOW = Instant.parse("2026-11-01T10:05:00Z");
    static final long VERSION = 7;

    /**
     * Two tasks, three actions: {@code disk/wipe} (2 retries, 60 s), {@code disk/stream}
     * (no retries field, 300 s), {@code boot/kexec} (0 retries, no timeout); 600 s in all.
     */
    static final Template TEMPLATE = new Template(Template.VERSION, "provision", 600, List.of(
            new Task("disk", MAC, List.of("/dev:/dev"), Map.of("DISK", "/dev/sda"), List.of(
                    action("wipe", 60, 2),
                    action("stream", 300, null)), null),
            new Task("boot", MAC, null, null, List.of(
                    action("kexec", null, 0)), null)), null);

    private static TemplateAction action(String name, Integer timeout, Integer retries) {
        return new TemplateAction(name, "quay.io/tinkerbell/actions/" + name + ":v1", timeout, null, null, null, null, retries, null);
    }

    /** As {@code WorkflowEngine.create} makes it: every action PENDING, nothing started. */
    static Workflow created() {
        List<ActionStatus> actions = List.of(
                pending("disk", "wipe"), pending("disk", "stream"), pending("boot", "kexec"));
        return new Workflow(ID, "tpl-1", 3, Map.of("device_1", MAC), TEMPLATE, ExecutionState.PENDING, actions, 0,
                CREATED, null, CREATED, VERSION);
    }

    private static ActionStatus pending(String task, String name) {
        return new ActionStatus(task, name, MAC, ExecutionState.PENDING, 0, null, null, null, null);
    }

    /** What the store's claim does to the current action: RUNNING, one more attempt, started now. */
    static Workflow claimed(Workflow w) {
        List<ActionStatus> actions = new ArrayList<>(w.actions());
        ActionStatus a = actions.get(w.currentAction());
        assertEquals(ExecutionState.PENDING, a.state(), "only a PENDING action can be claimed");
        actions.set(w.currentAction(), new ActionStatus(a.task(), a.name(), a.worker(), ExecutionState.RUNNING, a.attempts() + 1,
                STARTED, null, a.message(), a.progress()));
        return new Workflow(w.id(), w.templateId(), w.templateRevision(), w.hardwareMap(), w.template(), ExecutionState.RUNNING,
                actions, w.currentAction(), w.createdAt(), w.startedAt() == null ? STARTED : w.startedAt(), w.updatedAt(), w.version());
    }

    private static ActionReport report(int idx, ExecutionState state, String message, Progress progress) {
        return new ActionReport(ID, idx, state, message, progress);
    }

    private static ActionStatus status(ExecutionState state, int attempts, Instant startedAt, Instant finishedAt, String message,
                                       Progress progress, String task, String name) {
        return new ActionStatus(task, name, MAC, state, attempts, startedAt, finishedAt, message, progress);
    }

    private static WorkflowEvent actionEvent(String task, String action, ExecutionState state, String message) {
        return new WorkflowEvent(0, ID, MAC, task, action, state, message, null);
    }

    private static WorkflowEvent workflowEvent(ExecutionState state, String message) {
        return new WorkflowEvent(0, ID, null, null, null, state, message, null);
    }

    /** Applies a report that must change the workflow, and returns the workflow that follows. */
    private static Workflow apply(Workflow w, ActionReport r) throws WorkflowException {
        StateMachine.Outcome o = StateMachine.report(w, r, NOW);
        assertTrue(o.changed(), "expected a change from " + r);
        return o.workflow();
    }

    // ---- the template behind the indexes (what nextAction hands out) -----------------------------

    @Test
    void actionIndexesCountThroughTheTasks() {
        Workflow w = created();
        assertEquals("disk", StateMachine.task(w, 0).name());
        assertEquals("disk", StateMachine.task(w, 1).name());
        assertEquals("boot", StateMachine.task(w, 2).name());
        assertNull(StateMachine.task(w, 3));
        assertEquals("wipe", StateMachine.templateAction(w, 0).name());
        assertEquals("stream", StateMachine.templateAction(w, 1).name());
        assertEquals("kexec", StateMachine.templateAction(w, 2).name());
        assertNull(StateMachine.templateAction(w, 3));
        assertEquals(2, StateMachine.retries(w, 0));
        assertEquals(0, StateMachine.retries(w, 1), "no retries field: none");
        assertEquals(0, StateMachine.retries(w, 2));
        assertEquals(0, StateMachine.retries(w, 3), "out of range: none");
    }

    // ---- RUNNING reports ---------------------------------------------------------------------------

    @Test
    void progressIsStoredWithoutAnEvent() throws Exception {
        Workflow w = claimed(created());
        StateMachine.Outcome o = StateMachine.report(w, report(0, ExecutionState.RUNNING, null, new Progress(50, 100, 10.5)), NOW);

        assertTrue(o.changed());
        assertEquals(List.of(), o.events(), "progress is not an event");
        Workflow next = o.workflow();
        assertEquals(ExecutionState.RUNNING, next.state());
        assertEquals(0, next.currentAction());
        assertEquals(status(ExecutionState.RUNNING, 1, STARTED, null, null, new Progress(50, 100, 10.5), "disk", "wipe"),
                next.actions().get(0));
        assertEquals(w.actions().subList(1, 3), next.actions().subList(1, 3), "the other actions are untouched");
        assertEquals(VERSION, next.version(), "the store checks the version read, so the transition keeps it");
        assertEquals(STARTED, next.startedAt());
    }

    @Test
    void aNewMessageIsAnEventAndARepeatedOneIsNot() throws Exception {
        Workflow w = claimed(created());
        StateMachine.Outcome first = StateMachine.report(w, report(0, ExecutionState.RUNNING, "wiping /dev/sda", null), NOW);
        assertTrue(first.changed());
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.RUNNING, "wiping /dev/sda")), first.events());
        assertEquals("wiping /dev/sda", first.workflow().actions().get(0).message());

        // the same message with new progress: stored, but not an event
        StateMachine.Outcome progress = StateMachine.report(first.workflow(),
                report(0, ExecutionState.RUNNING, "wiping /dev/sda", new Progress(1, 2, -1)), NOW);
        assertTrue(progress.changed());
        assertEquals(List.of(), progress.events());
        assertEquals(new Progress(1, 2, -1), progress.workflow().actions().get(0).progress());
        assertEquals("wiping /dev/sda", progress.workflow().actions().get(0).message());

        // a report without message or progress keeps both
        StateMachine.Outcome empty = StateMachine.report(progress.workflow(), report(0, ExecutionState.RUNNING, null, null), NOW);
        assertFalse(empty.changed());
        assertSame(progress.workflow(), empty.workflow());
        assertEquals(List.of(), empty.events());
    }

    @Test
    void aLongMessageIsCutWithAnEllipsisWhereverItGoes() throws Exception {
        String huge = "m".repeat(100_000);
        StateMachine.Outcome running = StateMachine.report(claimed(created()), report(0, ExecutionState.RUNNING, huge, null), NOW);
        String kept = running.workflow().actions().get(0).message();
        assertEquals(2048, kept.length(), "2 KiB of a message are kept");
        assertTrue(kept.endsWith("m…"));
        assertEquals(kept, running.events().get(0).message());
        // the same long message again is no new event
        assertFalse(StateMachine.report(running.workflow(), report(0, ExecutionState.RUNNING, huge, null), NOW).changed());
        StateMachine.Outcome failed = StateMachine.report(running.workflow(), report(0, ExecutionState.FAILED, huge, null), NOW);
        for (WorkflowEvent e : failed.events()) {
            assertTrue(e.message().length() <= 2048 + 40, "retry and failure events too: " + e.message().length());
        }
        assertEquals(2048, failed.workflow().actions().get(0).message().length());
    }

    @Test
    void anIdenticalRunningReportChangesNothing() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.RUNNING, "half", new Progress(5, 10, 1)));
        StateMachine.Outcome again = StateMachine.report(w, report(0, ExecutionState.RUNNING, "half", new Progress(5, 10, 1)), NOW);
        assertFalse(again.changed(), "nothing to store");
        assertSame(w, again.workflow());
        assertEquals(List.of(), again.events());
    }

    // ---- SUCCESS -----------------------------------------------------------------------------------

    @Test
    void successMovesToTheNextActionWhichWaitsToBeClaimed() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.RUNNING, "wiping", new Progress(3, 4, 1)));
        StateMachine.Outcome o = StateMachine.report(w, report(0, ExecutionState.SUCCESS, "wiped", null), NOW);

        assertTrue(o.changed());
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.SUCCESS, "wiped")), o.events());
        Workflow next = o.workflow();
        assertEquals(ExecutionState.RUNNING, next.state());
        assertEquals(1, next.currentAction(), "the next action is current");
        assertEquals(status(ExecutionState.SUCCESS, 1, STARTED, NOW, "wiped", new Progress(3, 4, 1), "disk", "wipe"),
                next.actions().get(0), "finished now, the last progress kept");
        assertEquals(ExecutionState.PENDING, next.actions().get(1).state(), "due for the worker's next claim");
        assertEquals(0, next.actions().get(1).attempts());
        assertEquals("stream", next.current().orElseThrow().name());
    }

    @Test
    void successWithoutAMessageKeepsTheLastOne() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.RUNNING, "wiping", null));
        StateMachine.Outcome o = StateMachine.report(w, report(0, ExecutionState.SUCCESS, null, null), NOW);
        assertEquals("wiping", o.workflow().actions().get(0).message());
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.SUCCESS, "wiping")), o.events());
    }

    @Test
    void successOfTheLastActionFinishesTheWorkflow() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null));
        w = apply(claimed(w), report(1, ExecutionState.SUCCESS, "streamed", null));
        w = claimed(w);
        assertEquals(2, w.currentAction());

        StateMachine.Outcome o = StateMachine.report(w, report(2, ExecutionState.SUCCESS, "about to kexec", null), NOW);

        assertEquals(List.of(
                actionEvent("boot", "kexec", ExecutionState.SUCCESS, "about to kexec"),
                workflowEvent(ExecutionState.SUCCESS, "all 3 actions succeeded")), o.events());
        Workflow done = o.workflow();
        assertEquals(ExecutionState.SUCCESS, done.state());
        assertEquals(2, done.currentAction(), "stays on the last action");
        assertTrue(done.current().isEmpty(), "an ended workflow has no current action");
        for (ActionStatus a : done.actions()) {
            assertEquals(ExecutionState.SUCCESS, a.state(), a.name());
            assertEquals(NOW, a.finishedAt(), a.name());
        }
    }

    // ---- FAILED and TIMEOUT reports ----------------------------------------------------------------

    @Test
    void aFailureWithRetriesLeftPutsTheActionBackForAnotherAttempt() throws Exception {
        Workflow w = claimed(created());
        StateMachine.Outcome o = StateMachine.report(w, report(0, ExecutionState.FAILED, "disk busy", null), NOW);

        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.FAILED, "disk busy; retry 1 of 2")), o.events());
        Workflow next = o.workflow();
        assertEquals(ExecutionState.RUNNING, next.state(), "the workflow goes on");
        assertEquals(0, next.currentAction());
        assertEquals(status(ExecutionState.PENDING, 1, STARTED, null, "disk busy", null, "disk", "wipe"), next.actions().get(0),
                "PENDING for the next claim, attempts counted by the claim");

        // attempt 2 fails too: the last retry
        StateMachine.Outcome second = StateMachine.report(claimed(next), report(0, ExecutionState.FAILED, "still busy", null), NOW);
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.FAILED, "still busy; retry 2 of 2")), second.events());
        assertEquals(ExecutionState.PENDING, second.workflow().actions().get(0).state());
        assertEquals(2, second.workflow().actions().get(0).attempts());

        // attempt 3 (1 + 2 retries) is the last
        StateMachine.Outcome third = StateMachine.report(claimed(second.workflow()), report(0, ExecutionState.FAILED, "gave up", null), NOW);
        assertEquals(List.of(
                actionEvent("disk", "wipe", ExecutionState.FAILED, "gave up"),
                workflowEvent(ExecutionState.FAILED, "action wipe FAILED after 3 attempts: gave up")), third.events());
        assertEndedAtTheFirstAction(third.workflow(), ExecutionState.FAILED, 3, "gave up");
        assertEquals(ExecutionState.PENDING, third.workflow().actions().get(2).state());
    }

    @Test
    void aFailureWithoutRetriesEndsTheWorkflow() throws Exception {
        Workflow w = claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null)));
        StateMachine.Outcome o = StateMachine.report(w, report(1, ExecutionState.FAILED, "image not found", null), NOW);

        assertEquals(List.of(
                actionEvent("disk", "stream", ExecutionState.FAILED, "image not found"),
                workflowEvent(ExecutionState.FAILED, "action stream FAILED: image not found")), o.events(),
                "no 'after n attempts' without retries");
        assertEquals(ExecutionState.FAILED, o.workflow().state());
        assertEquals(1, o.workflow().currentAction());
        assertEquals(status(ExecutionState.FAILED, 1, STARTED, NOW, "image not found", null, "disk", "stream"),
                o.workflow().actions().get(1));
        assertEquals(ExecutionState.SUCCESS, o.workflow().actions().get(0).state());
    }

    @Test
    void aFailureWithoutAnyMessageIsNamedByItsState() throws Exception {
        Workflow w = claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, null, null)));
        StateMachine.Outcome o = StateMachine.report(w, report(1, ExecutionState.FAILED, null, null), NOW);
        assertEquals("failed", o.workflow().actions().get(1).message());
        assertEquals(workflowEvent(ExecutionState.FAILED, "action stream FAILED: failed"), o.events().get(1));
    }

    @Test
    void aTimeoutReportedByTheWorkerIsRetriedLikeAFailure() throws Exception {
        Workflow w = claimed(created());
        StateMachine.Outcome o = StateMachine.report(w, report(0, ExecutionState.TIMEOUT, null, null), NOW);
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.TIMEOUT, "timeout; retry 1 of 2")), o.events());
        assertEquals(ExecutionState.PENDING, o.workflow().actions().get(0).state());
        assertEquals(ExecutionState.RUNNING, o.workflow().state());

        Workflow noRetries = claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, null, null)));
        StateMachine.Outcome end = StateMachine.report(noRetries, report(1, ExecutionState.TIMEOUT, "took too long", null), NOW);
        assertEquals(ExecutionState.TIMEOUT, end.workflow().state());
        assertEquals(ExecutionState.TIMEOUT, end.workflow().actions().get(1).state());
        assertEquals(NOW, end.workflow().actions().get(1).finishedAt());
        assertEquals(List.of(
                actionEvent("disk", "stream", ExecutionState.TIMEOUT, "took too long"),
                workflowEvent(ExecutionState.TIMEOUT, "action stream TIMEOUT: took too long")), end.events());
    }

    // ---- timeouts found by the engine's sweeper ------------------------------------------------------

    @Test
    void anActionPastItsTimeoutIsRetriedThenEndsTheWorkflow() throws Exception {
        // what WorkflowEngine.sweep passes for an action past its own timeout
        Workflow w = claimed(created());
        StateMachine.Outcome retry = StateMachine.fail(w, 0, ExecutionState.TIMEOUT, "no report within its timeout of 60 s", NOW);
        assertTrue(retry.changed());
        assertEquals(List.of(actionEvent("disk", "wipe", ExecutionState.TIMEOUT, "no report within its timeout of 60 s; retry 1 of 2")),
                retry.events());
        assertEquals(ExecutionState.RUNNING, retry.workflow().state());
        assertEquals(status(ExecutionState.PENDING, 1, STARTED, null, "no report within its timeout of 60 s", null, "disk", "wipe"),
                retry.workflow().actions().get(0));

        Workflow kexec = claimed(apply(claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, null, null))),
                report(1, ExecutionState.SUCCESS, null, null)));
        StateMachine.Outcome end = StateMachine.fail(kexec, 2, ExecutionState.TIMEOUT, "no report", NOW);
        assertEquals(ExecutionState.TIMEOUT, end.workflow().state());
        assertEquals(status(ExecutionState.TIMEOUT, 1, STARTED, NOW, "no report", null, "boot", "kexec"), end.workflow().actions().get(2));
        assertEquals(List.of(
                actionEvent("boot", "kexec", ExecutionState.TIMEOUT, "no report"),
                workflowEvent(ExecutionState.TIMEOUT, "action kexec TIMEOUT: no report")), end.events(), "retries: 0 counts as none");
    }

    @Test
    void theGlobalTimeoutEndsTheRunningActionAndTheWorkflow() throws Exception {
        Workflow w = claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null)));
        w = apply(w, report(1, ExecutionState.RUNNING, "streaming", new Progress(10, 100, 1)));

        StateMachine.Outcome o = StateMachine.globalTimeout(w, NOW);

        String message = "global_timeout of 600 s exceeded";
        assertTrue(o.changed());
        assertEquals(List.of(
                actionEvent("disk", "stream", ExecutionState.TIMEOUT, message),
                workflowEvent(ExecutionState.TIMEOUT, message)), o.events());
        Workflow ended = o.workflow();
        assertEquals(ExecutionState.TIMEOUT, ended.state());
        assertEquals(1, ended.currentAction());
        assertEquals(status(ExecutionState.TIMEOUT, 1, STARTED, NOW, message, new Progress(10, 100, 1), "disk", "stream"),
                ended.actions().get(1));
        assertEquals(ExecutionState.SUCCESS, ended.actions().get(0).state(), "finished actions keep their state");
        assertEquals(ExecutionState.PENDING, ended.actions().get(2).state());
    }

    @Test
    void theGlobalTimeoutAlsoEndsAnActionWaitingForItsRetry() throws Exception {
        Workflow waiting = StateMachine.report(claimed(created()), report(0, ExecutionState.FAILED, "busy", null), NOW).workflow();
        assertEquals(ExecutionState.PENDING, waiting.actions().get(0).state());

        StateMachine.Outcome o = StateMachine.globalTimeout(waiting, NOW);
        assertEquals(ExecutionState.TIMEOUT, o.workflow().state());
        assertEquals(ExecutionState.TIMEOUT, o.workflow().actions().get(0).state());
        assertEquals(NOW, o.workflow().actions().get(0).finishedAt());
        assertEquals(2, o.events().size());
    }

    /** The workflow ended in {@code state} at its first action, which ended so too; the second never ran. */
    private static void assertEndedAtTheFirstAction(Workflow w, ExecutionState state, int attempts, String message) {
        assertEquals(state, w.state());
        assertEquals(0, w.currentAction());
        assertEquals(status(state, attempts, STARTED, NOW, message, null, "disk", "wipe"), w.actions().get(0));
        assertEquals(ExecutionState.PENDING, w.actions().get(1).state(), "later actions never ran");
    }

    // ---- cancel --------------------------------------------------------------------------------------

    @Test
    void cancelEndsTheCurrentActionAndTheWorkflow() throws Exception {
        Workflow w = claimed(created());
        StateMachine.Outcome o = StateMachine.cancel(w, NOW);

        assertEquals(List.of(
                actionEvent("disk", "wipe", ExecutionState.CANCELLED, "cancelled"),
                workflowEvent(ExecutionState.CANCELLED, "cancelled")), o.events());
        assertEndedAtTheFirstAction(o.workflow(), ExecutionState.CANCELLED, 1, "cancelled");
    }

    @Test
    void aWorkflowNeverClaimedCanBeCancelled() throws Exception {
        StateMachine.Outcome o = StateMachine.cancel(created(), NOW);
        assertEquals(ExecutionState.CANCELLED, o.workflow().state());
        assertEquals(ExecutionState.CANCELLED, o.workflow().actions().get(0).state());
        assertNull(o.workflow().startedAt(), "it never started");
        assertEquals(2, o.events().size());
    }

    @Test
    void anEndedWorkflowCannotBeCancelled() throws Exception {
        Workflow cancelled = StateMachine.cancel(claimed(created()), NOW).workflow();
        WorkflowException again = assertThrows(WorkflowException.class, () -> StateMachine.cancel(cancelled, NOW));
        assertEquals(Reason.CONFLICT, again.reason());
        assertEquals("workflow wf-1 has already ended CANCELLED", again.getMessage());

        Workflow failed = StateMachine.report(claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, null, null))),
                report(1, ExecutionState.FAILED, "x", null), NOW).workflow();
        assertEquals(Reason.CONFLICT, assertThrows(WorkflowException.class, () -> StateMachine.cancel(failed, NOW)).reason());
    }

    // ---- late, repeated and stale reports -----------------------------------------------------------

    @Test
    void aRepeatedFinalReportIsAlreadyRecorded() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null));
        StateMachine.Outcome again = StateMachine.report(w, report(0, ExecutionState.SUCCESS, "wiped", null), NOW);
        assertFalse(again.changed());
        assertSame(w, again.workflow());
        assertEquals(List.of(), again.events());

        Workflow done = apply(claimed(w), report(1, ExecutionState.SUCCESS, null, null));
        done = apply(claimed(done), report(2, ExecutionState.SUCCESS, null, null));
        assertEquals(ExecutionState.SUCCESS, done.state());
        assertFalse(StateMachine.report(done, report(2, ExecutionState.SUCCESS, null, null), NOW).changed(),
                "a repeated report after the workflow ended");
    }

    @Test
    void progressArrivingAfterTheActionEndedIsDropped() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null));
        StateMachine.Outcome late = StateMachine.report(w, report(0, ExecutionState.RUNNING, "99%", new Progress(99, 100, 1)), NOW);
        assertFalse(late.changed());
        assertSame(w, late.workflow());

        Workflow cancelled = StateMachine.cancel(claimed(created()), NOW).workflow();
        assertFalse(StateMachine.report(cancelled, report(0, ExecutionState.RUNNING, "still going", null), NOW).changed(),
                "a worker that has not yet seen the cancel");
    }

    @Test
    void aDifferentOutcomeForAnEndedActionIsAConflict() throws Exception {
        Workflow w = apply(claimed(created()), report(0, ExecutionState.SUCCESS, "wiped", null));
        WorkflowException e = assertThrows(WorkflowException.class,
                () -> StateMachine.report(w, report(0, ExecutionState.FAILED, "late failure", null), NOW));
        assertEquals(Reason.CONFLICT, e.reason());
        assertEquals("action 0 (wipe) of workflow wf-1 is SUCCESS; it cannot become FAILED", e.getMessage());

        // the sweeper timed the action out first; the worker's success comes too late
        Workflow timedOut = StateMachine.fail(claimed(apply(claimed(created()), report(0, ExecutionState.SUCCESS, null, null))),
                1, ExecutionState.TIMEOUT, "no report", NOW).workflow();
        WorkflowException late = assertThrows(WorkflowException.class,
                () -> StateMachine.report(timedOut, report(1, ExecutionState.SUCCESS, "done", null), NOW));
        assertEquals(Reason.CONFLICT, late.reason());
        assertEquals("action 1 (stream) of workflow wf-1 is TIMEOUT and the workflow has ended TIMEOUT; it cannot become SUCCESS",
                late.getMessage());
    }

    @Test
    void reportsOnActionsThatAreNotRunningAreConflicts() throws Exception {
        Workflow w = claimed(created());
        WorkflowException ahead = assertThrows(WorkflowException.class,
                () -> StateMachine.report(w, report(1, ExecutionState.SUCCESS, null, null), NOW));
        assertEquals(Reason.CONFLICT, ahead.reason(), "an action that is not current");
        assertEquals("action 1 (stream) of workflow wf-1 is PENDING; it cannot become SUCCESS", ahead.getMessage());

        WorkflowException unclaimed = assertThrows(WorkflowException.class,
                () -> StateMachine.report(created(), report(0, ExecutionState.RUNNING, null, null), NOW));
        assertEquals(Reason.CONFLICT, unclaimed.reason(), "an action nobody claimed");

        // after a failure with retries left the action waits for its next claim: attempt 1's reports are refused
        Workflow retrying = StateMachine.report(w, report(0, ExecutionState.FAILED, "busy", null), NOW).workflow();
        assertEquals(Reason.CONFLICT, assertThrows(WorkflowException.class,
                () -> StateMachine.report(retrying, report(0, ExecutionState.RUNNING, "still writing", null), NOW)).reason());
        assertEquals(Reason.CONFLICT, assertThrows(WorkflowException.class,
                () -> StateMachine.report(retrying, report(0, ExecutionState.SUCCESS, null, null), NOW)).reason());
    }

    @Test
    void malformedReportsAreInvalid() {
        Workflow w = claimed(created());
        for (int idx : new int[] {-1, 3}) {
            WorkflowException e = assertThrows(WorkflowException.class,
                    () -> StateMachine.report(w, report(idx, ExecutionState.RUNNING, null, null), NOW));
            assertEquals(Reason.INVALID, e.reason());
            assertEquals("actionIndex " + idx + " is out of range: workflow wf-1 has 3 actions", e.getMessage());
        }
        for (ExecutionState s : new ExecutionState[] {null, ExecutionState.PENDING, ExecutionState.CANCELLED}) {
            WorkflowException e = assertThrows(WorkflowException.class, () -> StateMachine.report(w, report(0, s, null, null), NOW));
            assertEquals(Reason.INVALID, e.reason());
            assertEquals("state must be RUNNING, SUCCESS, FAILED or TIMEOUT, was " + s, e.getMessage());
        }
    }

    @Test
    void anOutcomeMadeWithEventsIsAChange() {
        Workflow w = created();
        assertTrue(new StateMachine.Outcome(w, List.of()).changed());
        StateMachine.Outcome unchanged = StateMachine.Outcome.unchanged(w);
        assertFalse(unchanged.changed());
        assertSame(w, unchanged.workflow());
        assertEquals(List.of(), unchanged.events());
    }
}
