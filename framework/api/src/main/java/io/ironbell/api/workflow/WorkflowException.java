package io.ironbell.api.workflow;

/**
 * A workflow operation was refused or could not be done. The reason maps to an HTTP status
 * in the REST API (NOT_FOUND 404, INVALID 400/422, CONFLICT 409, FORBIDDEN 403,
 * UNAVAILABLE 503); the message names the field or the record.
 */
public class WorkflowException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** The workflow, template or hardware named does not exist. */
        NOT_FOUND,
        /** The input is malformed; the message names the field (and line, for templates). */
        INVALID,
        /** The operation does not fit the workflow's state (a report for an action that is not current, a cancel of an ended workflow). */
        CONFLICT,
        /** The caller may not act on this workflow (a worker reporting on another machine's action). */
        FORBIDDEN,
        /** The database cannot be reached. */
        UNAVAILABLE
    }

    private final Reason reason;

    public WorkflowException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public WorkflowException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Returns why it failed. */
    public Reason reason() {
        return reason;
    }
}
