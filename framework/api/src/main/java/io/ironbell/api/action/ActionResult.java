package io.ironbell.api.action;

/**
 * How an action that ended well ended.
 *
 * @param message a short line for the operator, e.g. "wrote 2.1 GiB to /dev/sda in 41 s"
 */
public record ActionResult(String message) {

    /** Returns a result with this message. */
    public static ActionResult success(String message) {
        return new ActionResult(message);
    }
}
