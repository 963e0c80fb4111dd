package io.ironbell.api.discovery;

import java.time.Instant;

/** An inventory a machine reported that differed from the one before: what it was from {@code at} on. */
public record InventoryChange(Instant at, Inventory inventory) {
}
