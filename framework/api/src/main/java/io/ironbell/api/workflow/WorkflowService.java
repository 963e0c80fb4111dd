package io.ironbell.api.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The workflow engine: what the REST API, the CLI and the shell drive, and what workers ask.
 *
 * <p>State machine: a workflow is PENDING until its first action is handed to a worker, then
 * RUNNING; it ends SUCCESS when its last action succeeds, FAILED or TIMEOUT when an action does
 * (after its {@code retries}) or its {@code global_timeout} passes, CANCELLED when cancelled.
 * Every transition is an event. Timeouts are enforced by the server: a worker that vanishes
 * does not leave a workflow RUNNING.
 */
@ProviderType
public interface WorkflowService {

    /** Largest ephemeral data document, in bytes of JSON. */
    int MAX_DATA_BYTES = 64 * 1024;

    /**
     * Renders a template for the hardware map and creates the workflow.
     *
     * @param templateIdOrName the template
     * @param hardwareMap      its worker keys ({@code device_1}) mapped to MAC addresses or hardware ids,
     *                         each of which must be known hardware
     */
    Workflow create(String templateIdOrName, Map<String, String> hardwareMap) throws WorkflowException;

    /**
     * Renders the request's template and creates the workflow under the request's id, or a
     * generated one; {@code CONFLICT} when a workflow has that id. With a {@code hardwareRef}
     * (Tinkerbell's objects), a template that does not render for the hardware does not refuse
     * the workflow: it is created FAILED, with no action, its first event saying why (with the
     * line), as Tinkerbell keeps such a Workflow with its rendering failed.
     */
    Workflow create(WorkflowRequest request) throws WorkflowException;

    /** Returns the workflow. */
    Workflow get(String id) throws WorkflowException;

    /** Lists workflows, newest first. */
    Page<Workflow> list(PageRequest page) throws WorkflowException;

    /** Cancels a workflow that has not ended. */
    Workflow cancel(String id) throws WorkflowException;

    /**
     * Ends a workflow that has not ended FAILED, for a reason outside it (its machine's boot job
     * failed); the reason is its last event's message. A workflow that already ended is left as it is.
     */
    Workflow fail(String id, String reason) throws WorkflowException;

    /** Deletes a workflow with its events and data. */
    void delete(String id) throws WorkflowException;

    /** Returns up to {@code limit} events after the sequence {@code after}. */
    List<WorkflowEvent> events(String id, long after, int limit) throws WorkflowException;

    /**
     * Calls {@code listener} with every event of the workflow from now on (from any server
     * instance), until the returned handle is closed.
     */
    AutoCloseable subscribe(String id, Consumer<WorkflowEvent> listener) throws WorkflowException;

    /**
     * The action this worker should run now, claimed for it; empty when none is due. A worker
     * that asks again while its action runs gets that action again, marked resumed.
     */
    Optional<WorkerAction> nextAction(String workerId) throws WorkflowException;

    /** Longest a worker may wait in {@link #awaitNextAction}. */
    java.time.Duration MAX_WAIT = java.time.Duration.ofSeconds(30);

    /**
     * {@link #nextAction}, but when none is due it waits, without a thread, up to {@code wait}
     * ({@link #MAX_WAIT} at most) for one to become due — a workflow created for the worker, its
     * previous action finished, on this server or another (their changes reach it through the
     * database's notifications) — and completes with it the moment it is claimed; empty when
     * none came in time. Workers that long-poll cost nothing while they have nothing to do.
     */
    java.util.concurrent.CompletionStage<Optional<WorkerAction>> awaitNextAction(String workerId, java.time.Duration wait)
            throws WorkflowException;

    /** Records a worker's report and moves the workflow on. */
    Workflow report(String workerId, ActionReport report) throws WorkflowException;

    /** Returns the workflow's ephemeral data. */
    JsonNode data(String id) throws WorkflowException;

    /** Replaces the workflow's ephemeral data; at most {@link #MAX_DATA_BYTES}. */
    void putData(String id, JsonNode data) throws WorkflowException;
}
