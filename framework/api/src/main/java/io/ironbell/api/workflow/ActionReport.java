package io.ironbell.api.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A worker's report on the action it runs.
 *
 * @param workflowId  the workflow
 * @param actionIndex the action, as {@link WorkerAction#actionIndex()} gave it
 * @param state       RUNNING (progress), SUCCESS, FAILED or TIMEOUT
 * @param message     a line for the operator, or {@code null}
 * @param progress    progress, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActionReport(String workflowId, int actionIndex, ExecutionState state, String message, ActionStatus.Progress progress) {
}
