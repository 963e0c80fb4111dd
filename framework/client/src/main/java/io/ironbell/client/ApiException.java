package io.ironbell.client;

import java.io.IOException;

/**
 * A call to the REST API that failed: the server refused it ({@link #status()} is its HTTP
 * status and the message is the one the server's error body gave), or no answer came
 * ({@link #status()} is {@value #UNREACHABLE}).
 */
public final class ApiException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The {@link #status()} of a call that got no answer: no server, a broken connection, a timeout. */
    public static final int UNREACHABLE = 0;

    /**
     * The {@link #status()} of a call to a server whose certificate the client does not trust (a
     * wrong CA or pin, a name the certificate does not carry): nothing was sent.
     */
    public static final int UNTRUSTED = -1;

    private final int status;
    private final String code;

    /**
     * @param status  the HTTP status, or {@link #UNREACHABLE}
     * @param code    the server's error code ({@code "not_found"}, …), or {@code null}
     * @param message what went wrong, as the server said it
     */
    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status, or {@link #UNREACHABLE} when no answer came. */
    public int status() {
        return status;
    }

    /** The error code of the server's error body, or {@code null} when it gave none. */
    public String code() {
        return code;
    }

    /** Whether no answer came at all. */
    public boolean unreachable() {
        return status == UNREACHABLE;
    }

    /** Whether the server's certificate was not trusted, so that nothing was sent. */
    public boolean untrusted() {
        return status == UNTRUSTED;
    }

    /**
     * Whether the same call may succeed later: no answer, 5xx, 408 or 429. Any other 4xx is the
     * server refusing this call for good.
     */
    public boolean retryable() {
        return status == UNREACHABLE || status >= 500 || status == 408 || status == 429;
    }
}
