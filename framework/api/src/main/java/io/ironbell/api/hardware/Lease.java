package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * What the DHCP server last did for a MAC address: the engine reads it to see a machine
 * booting, operators to see when it was last seen.
 *
 * @param mac        the client's MAC address
 * @param ip         the address offered or bound (text), or {@code null}
 * @param hardwareId the hardware record the MAC belongs to
 * @param state      the lease's state
 * @param expiresAt  when a bound lease expires, or {@code null}
 * @param lastSeen   when the client last sent a packet
 * @param client     what the client said of itself (e.g. {@code PXEClient:Arch:00007}), or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Lease(MacAddress mac, String ip, String hardwareId, State state, Instant expiresAt, Instant lastSeen, String client) {

    /** The states of a lease. */
    public enum State {
        /** Offered, not yet requested. */
        OFFERED,
        /** Acknowledged. */
        BOUND,
        /** Released by the client. */
        RELEASED,
        /** Declined by the client (address in use). */
        DECLINED
    }
}
