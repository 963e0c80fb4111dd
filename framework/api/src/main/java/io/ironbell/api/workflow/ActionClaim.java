package io.ironbell.api.workflow;

/**
 * An action claimed for a worker: only the claimer may report on it.
 *
 * @param workflow    the workflow, as it was when claimed
 * @param actionIndex index of the claimed action in {@link Workflow#actions()}
 */
public record ActionClaim(Workflow workflow, int actionIndex) {

    /** Returns the claimed action. */
    public ActionStatus action() {
        return workflow.actions().get(actionIndex);
    }
}
