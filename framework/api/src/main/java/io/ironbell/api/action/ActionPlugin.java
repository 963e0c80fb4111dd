package io.ironbell.api.action;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An action type that the worker can run: image2disk, kexec, or a vendor's own.
 *
 * <p>Register an implementation as an OSGi service with the service property
 * {@value #TYPE} naming the type (use {@link ActionType @ActionType("name")} on a DS
 * component). A template action runs on the plugin whose type matches its image: the
 * worker maps {@code quay.io/tinkerbell-actions/image2disk:v1.0.0} to type {@code image2disk},
 * and any image to the type named by the service property {@value #IMAGES} when one of its
 * prefixes matches. Plugins come and go while the worker runs; the next action of a type uses
 * whichever plugin is registered then.
 *
 * <p>An implementation must honour {@link ActionContext#isCancelled()} (the worker cancels
 * an action that outlives its timeout or that an operator cancels) and must not report
 * success for work it did not finish.
 */
@ConsumerType
public interface ActionPlugin {

    /** Service property: the action type this plugin runs (a String). */
    String TYPE = "ironbell.action.type";

    /** Service property: image name prefixes this plugin also runs (a String or String[]). */
    String IMAGES = "ironbell.action.images";

    /**
     * Runs the action.
     *
     * @param context its environment, and where it reports progress and log lines
     * @return how it ended, when it ended well
     * @throws ActionException       when it failed; the reason and message reach the operator
     * @throws InterruptedException  when the worker interrupted it (cancel or timeout)
     */
    ActionResult execute(ActionContext context) throws ActionException, InterruptedException;
}
