package io.ironbell.api.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps workflows. Safe across several server instances on one database: claims use row
 * locks, and updates are versioned so a lost race fails with {@code STALE} instead of
 * overwriting.
 */
@ProviderType
public interface WorkflowStore {

    /** Stores a new workflow (version 1) and returns it. */
    Workflow create(Workflow workflow) throws StoreException;

    /** Returns the workflow, or fails with {@code NOT_FOUND}. */
    Workflow get(String id) throws StoreException;

    /** Lists workflows, newest first. */
    Page<Workflow> list(PageRequest page) throws StoreException;

    /**
     * Replaces the workflow if its stored version is still {@code workflow.version()}.
     *
     * @return the stored workflow, with its version incremented
     * @throws StoreException {@code STALE} when another writer changed it first
     */
    Workflow update(Workflow workflow) throws StoreException;

    /**
     * Replaces the workflow as {@link #update(Workflow)} does and appends the events in the
     * same transaction: either both are stored or neither.
     *
     * @return the stored workflow, with its version incremented
     */
    Workflow update(Workflow workflow, List<WorkflowEvent> events) throws StoreException;

    /**
     * Returns ids of RUNNING workflows whose current action ran past its timeout or which ran
     * past their global timeout, at most {@code limit}.
     */
    List<String> overdue(int limit) throws StoreException;

    /**
     * Claims, for this worker, the next action that is due: the current action of a pending or
     * running workflow whose worker it is, marks it RUNNING and appends its event, in one
     * transaction. Two concurrent callers, on any instances, never get the same action. When
     * the worker's current action is already RUNNING (the worker restarted), that action is
     * returned again, marked {@link ActionClaim#resumed() resumed}, and nothing changes.
     */
    Optional<ActionClaim> claimNext(String workerId) throws StoreException;

    /**
     * The workflow's state alone, one indexed read: for those that follow changes and already know
     * the rest of a workflow (what it is made of never changes, only its state). Empty when there
     * is no such workflow.
     */
    Optional<ExecutionState> state(String id) throws StoreException;

    /** Returns the workflow's ephemeral data: what its actions put, or an empty object. */
    JsonNode data(String id) throws StoreException;

    /** Replaces the workflow's ephemeral data (the engine enforces its size limit). */
    void putData(String id, JsonNode data) throws StoreException;

    /** Deletes the workflow with its events and ephemeral data. */
    void delete(String id) throws StoreException;
}
