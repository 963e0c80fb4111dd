package io.ironbell.api.bmc;

/**
 * A BMC request that cannot be done: the {@link Reason} maps onto an HTTP status.
 */
public class BmcServiceException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** No such machine or job. */
        NOT_FOUND,
        /** The request is invalid; the message names the field. */
        INVALID,
        /** A job or machine of that name exists. */
        CONFLICT,
        /** The database cannot be reached. */
        UNAVAILABLE
    }

    private final Reason reason;

    public BmcServiceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
