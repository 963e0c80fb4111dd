package io.ironbell.api.bmc;

/** A machine's chassis power as its BMC reports it. */
public enum PowerState {
    ON, OFF,
    /** Not known: never read, or the BMC did not answer the last time. */
    UNKNOWN;

    /** The lowercase spelling used in the API and in Rufio's objects. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
