package io.ironbell.api.workflow;

/**
 * An action claimed for a worker: only the claimer may report on it.
 *
 * @param workflow    the workflow, as it was when claimed
 * @param actionIndex index of the claimed action in {@link Workflow#actions()}
 * @param resumed     true when the action was already running for this worker (it asked again after a restart)
 */
public record ActionClaim(Workflow workflow, int actionIndex, boolean resumed) {

    /** Returns the claimed action. */
    public ActionStatus action() {
        return workflow.actions().get(actionIndex);
    }
}
