package io.ironbell.api.action;

import io.ironbell.api.workflow.ActionStatus.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What an action sees of the worker running it: its inputs, and where it reports.
 *
 * <p>Progress and log lines are sent to the server in the background; calling these methods
 * never blocks on the network.
 */
@ProviderType
public interface ActionContext {

    /** The workflow this action belongs to. */
    String workflowId();

    /** The worker's id (its MAC address). */
    String workerId();

    /** The action's name in its task. */
    String actionName();

    /** The image the template named (informative for native plugins). */
    String image();

    /** The environment: the task's, overridden by the action's. */
    Map<String, String> environment();

    /** The command the template gave, or an empty list. */
    List<String> command();

    /** The volumes the template gave ({@code host:container[:ro]}), task's then action's. */
    List<String> volumes();

    /** The PID namespace the template asked for ({@code host}), if any. */
    Optional<String> pid();

    /** Returns a variable, or empty when it is unset or blank. */
    default Optional<String> env(String name) {
        String v = environment().get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /**
     * Returns a variable that must be set.
     *
     * @throws ActionException {@link ActionException.Reason#INVALID_INPUT} naming the variable
     */
    default String requireEnv(String name) throws ActionException {
        return env(name).orElseThrow(() -> new ActionException(
                ActionException.Reason.INVALID_INPUT, "environment variable " + name + " is required"));
    }

    /** How long the action may run. */
    Duration timeout();

    /** When it must have finished: its start plus {@link #timeout()}. */
    Instant deadline();

    /** Whether the action has been cancelled (timeout or operator); stop as soon as possible. */
    boolean isCancelled();

    /**
     * Throws when the action has been cancelled: call it between chunks of work.
     *
     * @throws ActionException {@link ActionException.Reason#CANCELLED}
     */
    default void checkCancelled() throws ActionException {
        if (isCancelled()) {
            throw new ActionException(ActionException.Reason.CANCELLED, "action " + actionName() + " was cancelled");
        }
    }

    /** Reports progress; the worker forwards the latest at most every few seconds. */
    void progress(Progress progress);

    /** Appends a line to the machine's log on the server. */
    void log(String line);

    /**
     * Reports success to the server and waits until the server acknowledged it. An action
     * that does not return, because it reboots or kexecs into another kernel, calls this just
     * before the jump (Tinkerbell's workflows hang there instead).
     *
     * @throws ActionException {@link ActionException.Reason#UNAVAILABLE} when the server
     *                         could not be told; the action should not jump then
     */
    void reportSuccessBeforeJump(String message) throws ActionException;
}
