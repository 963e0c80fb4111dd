package io.ironbell.api.bmc;

import java.util.Locale;

/** What a power task asks of a BMC; spelled as Rufio spells its {@code powerAction}. */
public enum PowerAction {
    ON("on"), OFF("off"),
    /** An orderly shutdown (ACPI power button); the machine may take its time, or refuse. */
    SOFT("soft"),
    /** Off, then on. */
    CYCLE("cycle"),
    /** A hard reset without power loss. */
    RESET("reset"),
    /** Reads the state and changes nothing. */
    STATUS("status");

    private final String wire;

    PowerAction(String wire) {
        this.wire = wire;
    }

    /** The lowercase spelling of the API. */
    public String wire() {
        return wire;
    }

    /** Reads a spelling of the API; the message lists the ones there are. */
    public static PowerAction of(String s) {
        for (PowerAction a : values()) {
            if (a.wire.equals(s == null ? null : s.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("power action '" + s + "' is not one of on, off, soft, cycle, reset, status");
    }

    /** The state this action leads to, once done; {@code null} for actions that end in no fixed state. */
    public PowerState target() {
        return switch (this) {
            case ON, CYCLE, RESET -> PowerState.ON;
            case OFF, SOFT -> PowerState.OFF;
            case STATUS -> null;
        };
    }
}
