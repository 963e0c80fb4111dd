package io.ironbell.api.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * One transition of a workflow or action, as {@code ironbell workflow events} lists it.
 *
 * @param sequence   position in the event log, strictly increasing across all workflows
 * @param workflowId the workflow
 * @param worker     the worker concerned, if an action changed
 * @param task       the task concerned, if an action changed
 * @param action     the action concerned, if an action changed; {@code null} for the workflow itself
 * @param state      the state entered
 * @param message    what the reporter said
 * @param at         when it happened
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkflowEvent(
        long sequence,
        String workflowId,
        String worker,
        String task,
        String action,
        ExecutionState state,
        String message,
        Instant at) {
}
