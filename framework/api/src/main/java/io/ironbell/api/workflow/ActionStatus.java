package io.ironbell.api.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * Where one action of a workflow stands.
 *
 * @param task       name of the task the action belongs to
 * @param name       the action's name
 * @param worker     the worker that runs it (MAC address or hardware id)
 * @param state      its state
 * @param attempts   how many times it was started (more than 1 after retries)
 * @param startedAt  when its current attempt started
 * @param finishedAt when it reached a terminal state
 * @param message    the last message reported
 * @param progress   the last progress reported, if any
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActionStatus(
        String task,
        String name,
        String worker,
        ExecutionState state,
        int attempts,
        Instant startedAt,
        Instant finishedAt,
        String message,
        Progress progress) {

    /**
     * Progress of a long action, such as an image being written.
     *
     * @param done  units done (bytes for image actions)
     * @param total units in all, or -1 when unknown
     * @param rate  units per second over the last interval, or -1 when unknown
     */
    public record Progress(long done, long total, double rate) {

        /** Returns the percentage done, or -1 when the total is unknown. */
        public double percent() {
            return total > 0 ? 100.0 * done / total : -1;
        }
    }
}
