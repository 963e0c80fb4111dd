package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A machine's inventory as last reported.
 *
 * @param collectedAt when the machine last reported it
 * @param changedAt   when it last differed from the report before (the first report counts)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MachineInventory(String hardwareId, Inventory inventory, Instant collectedAt, Instant changedAt) {
}
