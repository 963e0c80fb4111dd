package io.ironbell.api.bmc;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * Something that happened to a job: it started, a task started, was retried, ended, the job ended.
 *
 * @param seq  increases within the job, from 1
 * @param task the task's index from 0, or {@code null} for the job itself
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BmcJobEvent(String jobId, long seq, Instant at, Integer task, String type, String message) {
}
