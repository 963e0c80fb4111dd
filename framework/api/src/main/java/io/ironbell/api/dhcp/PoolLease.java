package io.ironbell.api.dhcp;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.ironbell.api.hardware.MacAddress;
import java.time.Instant;

/**
 * An address of a pool and whom it is for.
 *
 * @param mac       the client's MAC; {@code null} for a declined address (no one's)
 * @param expiresAt when the offer or binding ends (the database's clock)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PoolLease(String pool, String address, MacAddress mac, State state, Instant expiresAt) {

    /** Where an address stands. */
    public enum State {
        /** Held for a client's REQUEST. */
        OFFERED,
        /** The client's until it expires. */
        BOUND,
        /** Given back; the client gets it again if it asks before someone else takes it. */
        RELEASED,
        /** A client found it in use: no one gets it until its probation ends. */
        DECLINED
    }
}
