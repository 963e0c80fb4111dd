package io.ironbell.client.oci;

import java.io.IOException;

/** Why talking to a registry failed, with a message that names the registry and the reference. */
public final class OciException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What kind of failure it was, for callers that map it onto their own reasons. */
    public enum Kind {
        /** The reference (or something else the caller gave) is malformed. */
        INVALID,
        /** The registry has no such repository, tag, digest or blob. */
        NOT_FOUND,
        /** The registry wants credentials, or refused the ones given. */
        UNAUTHORIZED,
        /** The registry (or its token service) cannot be reached, or answered something unexpected. */
        UNAVAILABLE,
        /** Bytes whose digest is not the one that named them. */
        DIGEST_MISMATCH,
        /** A manifest or artifact of a kind this client does not handle. */
        UNSUPPORTED
    }

    private final Kind kind;

    public OciException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What kind of failure it was. */
    public Kind kind() {
        return kind;
    }
}
