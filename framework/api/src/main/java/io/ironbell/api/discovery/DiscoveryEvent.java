package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A decision about a discovered machine: it appeared, reported, matched a rule (or none), was
 * enrolled, or an enrollment step failed.
 *
 * @param kind {@code discovered}, {@code inventory}, {@code matched}, {@code unmatched}, {@code enrolled}, {@code failed}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiscoveryEvent(long id, String hardwareId, Instant at, String kind, String rule, String message) {
}
