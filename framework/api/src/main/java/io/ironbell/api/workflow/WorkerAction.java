package io.ironbell.api.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What a worker is told to run next: one action with everything it needs.
 *
 * @param workflowId  the workflow
 * @param actionIndex the action's index in the workflow; reports name it
 * @param task        the task's name
 * @param name        the action's name
 * @param image       the image the template named
 * @param command     the command, or an empty list
 * @param volumes     task volumes then action volumes
 * @param environment the task's environment overridden by the action's
 * @param pid         {@code host}, or {@code null}
 * @param timeout     seconds the action may run
 * @param attempt     1 for the first run, more for retries
 * @param resumed     true when this action was already running for this worker (the worker restarted)
 * @param plugin      the digest of the repository plugin the workflow pinned for this image, or {@code null}: the
 *                    worker fetches it ({@code GET /api/v1/worker/{mac}/plugins/{digest}}) when none of its own claims the image
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkerAction(
        String workflowId,
        int actionIndex,
        String task,
        String name,
        String image,
        List<String> command,
        List<String> volumes,
        Map<String, String> environment,
        String pid,
        int timeout,
        int attempt,
        boolean resumed,
        String plugin) {

    /** An action with no pinned plugin. */
    public WorkerAction(String workflowId, int actionIndex, String task, String name, String image, List<String> command,
                        List<String> volumes, Map<String, String> environment, String pid, int timeout, int attempt, boolean resumed) {
        this(workflowId, actionIndex, task, name, image, command, volumes, environment, pid, timeout, attempt, resumed, null);
    }
}
