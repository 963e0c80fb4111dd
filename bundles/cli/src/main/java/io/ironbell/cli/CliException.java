package io.ironbell.cli;

/** A failed command, with the process exit status that tells scripts why. */
final class CliException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The request was refused (bad input: 400/422). */
    static final int ERROR = 1;
    /** Usage errors are picocli's: 2. */
    static final int USAGE = 2;
    /** The record does not exist (404). */
    static final int NOT_FOUND = 3;
    /** Missing or wrong token, or not allowed (401/403). */
    static final int DENIED = 4;
    /** No server answers. */
    static final int UNREACHABLE = 5;
    /** The record changed or the state forbids it (409). */
    static final int CONFLICT = 6;
    /** The server failed (5xx), e.g. its database is away. */
    static final int SERVER = 7;
    /** A watched workflow ended other than SUCCESS. */
    static final int WORKFLOW_FAILED = 8;

    /** The server's certificate is not the one trusted (wrong CA, fingerprint or name): nothing was sent. */
    static final int UNTRUSTED = 9;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
