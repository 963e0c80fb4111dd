package io.ironbell.api.bmc;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A task of a job and how it went.
 *
 * @param attempts how many times it was started (retries follow only transport failures)
 * @param message  the outcome: the power state read, or why it failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BmcTask(BmcAction action, BmcJob.State state, int attempts, Instant startedAt, Instant finishedAt, String message) {

    public BmcTask {
        state = state == null ? BmcJob.State.PENDING : state;
    }

    /** A task not yet run. */
    public static BmcTask of(BmcAction action) {
        return new BmcTask(action, BmcJob.State.PENDING, 0, null, null, null);
    }
}
