package io.ironbell.api.bmc;

import java.util.Locale;

/** Where a machine boots from next; spelled as Rufio spells its boot devices. */
public enum BootDevice {
    PXE, DISK, CDROM,
    /** The firmware's setup screen. */
    BIOS;

    /** The lowercase spelling of the API. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads a spelling of the API; the message lists the ones there are. */
    public static BootDevice of(String s) {
        for (BootDevice d : values()) {
            if (d.wire().equals(s == null ? null : s.toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException("boot device '" + s + "' is not one of pxe, disk, cdrom, bios");
    }
}
