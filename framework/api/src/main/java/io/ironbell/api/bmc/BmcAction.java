package io.ironbell.api.bmc;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One thing a BMC task does, as Rufio's {@code Action}: exactly one of a power action, a boot
 * device, or virtual media ({@code mediaUrl} empty = eject).
 *
 * @param power      a power action, or {@code null}
 * @param bootDevice a boot device, or {@code null}
 * @param persistent with a boot device: every boot rather than the next only
 * @param efiBoot    with a boot device: boot in UEFI mode rather than legacy
 * @param mediaUrl   virtual media: the image's URL to insert, {@code ""} to eject; {@code null} otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BmcAction(PowerAction power, BootDevice bootDevice, @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean persistent,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean efiBoot, String mediaUrl) {

    public BmcAction {
        int set = (power != null ? 1 : 0) + (bootDevice != null ? 1 : 0) + (mediaUrl != null ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("a BMC task has exactly one of powerAction, bootDevice, virtualMediaAction (" + set + " given)");
        }
        if (bootDevice == null && (persistent || efiBoot)) {
            throw new IllegalArgumentException("persistent and efiBoot go with a bootDevice");
        }
    }

    public static BmcAction power(PowerAction action) {
        return new BmcAction(Objects.requireNonNull(action), null, false, false, null);
    }

    public static BmcAction boot(BootDevice device, boolean persistent, boolean efiBoot) {
        return new BmcAction(null, Objects.requireNonNull(device), persistent, efiBoot, null);
    }

    /** Virtual media: insert the image at {@code url}, or eject with {@code ""}. */
    public static BmcAction media(String url) {
        return new BmcAction(null, null, false, false, Objects.requireNonNull(url));
    }

    /** A short description for events and the CLI: {@code power on}, {@code boot pxe once efi}, {@code media eject}. */
    public String describe() {
        if (power != null) {
            return "power " + power.wire();
        }
        if (bootDevice != null) {
            return "boot " + bootDevice.wire() + (persistent ? " persistent" : " once") + (efiBoot ? " efi" : "");
        }
        return mediaUrl.isEmpty() ? "media eject" : "media insert " + mediaUrl;
    }
}
