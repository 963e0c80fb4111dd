package io.ironbell.api.manifest;

/** Why a manifest operation failed; the message names the object and the field. */
public class ManifestException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The kind is not one Ironbell knows, or the request is malformed. */
        INVALID,
        /** No object of that kind and name. */
        NOT_FOUND,
        /** The database cannot be reached. */
        UNAVAILABLE
    }

    private final Reason reason;

    public ManifestException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Returns why it failed. */
    public Reason reason() {
        return reason;
    }
}
