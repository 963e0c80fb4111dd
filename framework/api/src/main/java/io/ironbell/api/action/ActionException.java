package io.ironbell.api.action;

/**
 * An action failed; the reason and message are reported to the server as the action's
 * {@code FAILED} (or {@code TIMEOUT}) message.
 */
public class ActionException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an action failed. */
    public enum Reason {
        /** A variable is missing or malformed; the message names it. */
        INVALID_INPUT,
        /** The source (URL, registry, file) could not be read. */
        SOURCE_UNAVAILABLE,
        /** What was read does not match the checksum or digest given. */
        CHECKSUM_MISMATCH,
        /** The target (disk, partition, filesystem) could not be written, or is too small. */
        TARGET_FAILED,
        /** A format (compression, archive, manifest) is not supported or is corrupt. */
        UNSUPPORTED,
        /** A needed engine or tool (container engine, kexec) is not there. */
        UNAVAILABLE,
        /** The action ran past its timeout. */
        TIMEOUT,
        /** The action was cancelled. */
        CANCELLED,
        /** Anything else. */
        INTERNAL
    }

    private final Reason reason;

    public ActionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ActionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Returns why it failed. */
    public Reason reason() {
        return reason;
    }
}
