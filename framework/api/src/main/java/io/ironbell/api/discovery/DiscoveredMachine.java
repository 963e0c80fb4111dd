package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A machine that introduced itself: its record was made when it first netbooted unknown.
 *
 * @param state DISCOVERED until a rule (or the operator) enrolls it
 * @param rule  the rule that enrolled it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiscoveredMachine(String hardwareId, String mac, State state, String rule, Instant discoveredAt, Instant enrolledAt) {

    /** Where a discovered machine stands. */
    public enum State {
        /** Waiting: no rule matched it yet. */
        DISCOVERED,
        /** A rule (or the operator) made it a machine of the fleet. */
        ENROLLED
    }
}
