package io.ironbell.api.bmc;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * An ordered list of BMC tasks for one machine, as Rufio's {@code Job}: the tasks run one after
 * the other; the first that fails ends the job FAILED and nothing after it runs. A machine runs
 * one job at a time, in the order they were created.
 *
 * @param id                 the job's name
 * @param machine            the BMC machine's name
 * @param workflowId         the workflow whose boot options made it, or {@code null}
 * @param taskTimeoutSeconds how long one task may take, power tasks included until the state is reached
 * @param maxAttempts        how often a task is tried when the BMC cannot be reached or times out
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BmcJob(String id, String namespace, String machine, String workflowId, State state, List<BmcTask> tasks,
        int taskTimeoutSeconds, int maxAttempts, String message, Instant createdAt, Instant startedAt, Instant finishedAt) {

    /** Rufio's ten minutes. */
    public static final int DEFAULT_TASK_TIMEOUT_SECONDS = 600;
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    /** Where a job or a task stands. */
    public enum State {
        PENDING, RUNNING, SUCCEEDED, FAILED;

        /** Whether nothing more happens. */
        public boolean ended() {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    public BmcJob {
        tasks = List.copyOf(tasks);
        state = state == null ? State.PENDING : state;
        taskTimeoutSeconds = taskTimeoutSeconds <= 0 ? DEFAULT_TASK_TIMEOUT_SECONDS : taskTimeoutSeconds;
        maxAttempts = maxAttempts <= 0 ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
    }

    /** A new job, not yet run. */
    public static BmcJob of(String id, String namespace, String machine, String workflowId, List<BmcAction> actions,
            int taskTimeoutSeconds, int maxAttempts) {
        return new BmcJob(id, namespace, machine, workflowId, State.PENDING, actions.stream().map(BmcTask::of).toList(),
                taskTimeoutSeconds, maxAttempts, null, null, null, null);
    }
}
