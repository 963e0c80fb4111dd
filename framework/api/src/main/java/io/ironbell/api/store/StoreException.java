package io.ironbell.api.store;

/**
 * The one checked exception of every store service.
 *
 * <p>The {@link Reason} tells a caller what to do: a {@code CONFLICT} is the caller's to fix
 * (the message names the field and value), a {@code STALE} update lost a race and may be
 * retried on fresh data, {@code UNAVAILABLE} means the database cannot be reached now.
 */
public class StoreException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a store operation failed. */
    public enum Reason {
        /** The record named does not exist. */
        NOT_FOUND,
        /** A uniqueness rule would be broken (e.g. a MAC address already registered). */
        CONFLICT,
        /** The record is invalid; the message names the field. */
        INVALID,
        /** An optimistic update lost a race: the record changed since it was read. */
        STALE,
        /** The database cannot be reached; nothing was written. */
        UNAVAILABLE
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Returns why the operation failed. */
    public Reason reason() {
        return reason;
    }
}
