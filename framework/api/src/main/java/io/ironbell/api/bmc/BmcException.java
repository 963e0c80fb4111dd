package io.ironbell.api.bmc;

/**
 * A BMC operation that failed, with the {@link Reason} that decides what happens next: only
 * {@link Reason#UNREACHABLE} and {@link Reason#TIMEOUT} are worth another attempt.
 */
public class BmcException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a BMC operation failed. */
    public enum Reason {
        /** Wrong user or password, or a user without the privilege. */
        AUTH,
        /** Nothing answered at the address, or the connection broke. */
        UNREACHABLE,
        /** The BMC took longer than the endpoint's timeout. */
        TIMEOUT,
        /** The BMC's certificate was not trusted or does not match its name. */
        TLS,
        /** The BMC or the driver does not have this operation. */
        UNSUPPORTED,
        /** The BMC answered with an error of its own (the message holds it). */
        REFUSED,
        /** The machine's BMC settings are wrong (a cipher suite refused, a missing password). */
        CONFIG
    }

    private final Reason reason;

    public BmcException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BmcException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Returns why the operation failed. */
    public Reason reason() {
        return reason;
    }

    /** Whether trying again later may succeed (the BMC was not reached in time). */
    public boolean retryable() {
        return reason == Reason.UNREACHABLE || reason == Reason.TIMEOUT;
    }
}
