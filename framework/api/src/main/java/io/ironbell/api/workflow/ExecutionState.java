package io.ironbell.api.workflow;

/**
 * The state of a workflow or of one of its actions (Tinkerbell's states, plus
 * {@link #CANCELLED}).
 *
 * <p>PENDING → RUNNING → SUCCESS, FAILED, TIMEOUT or CANCELLED; the last four are terminal.
 */
public enum ExecutionState {
    /** Not started. */
    PENDING,
    /** Started and not finished. */
    RUNNING,
    /** Finished well. */
    SUCCESS,
    /** Finished with an error. */
    FAILED,
    /** Ran past its timeout. */
    TIMEOUT,
    /** Stopped by an operator. */
    CANCELLED;

    /** Whether nothing follows this state. */
    public boolean isTerminal() {
        return this != PENDING && this != RUNNING;
    }
}
