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

    /**
     * Reads one of Rufio's task actions: {@code {"powerAction": "on"}}, {@code {"bootDevice":
     * {"device": "pxe", "persistent": false, "efiBoot": true}}}, the deprecated
     * {@code {"oneTimeBootDeviceAction": {"device": ["pxe"], "efiBoot": true}}} (its first device, once),
     * or {@code {"virtualMediaAction": {"mediaURL": "...", "kind": "CD"}}} ({@code ""} ejects).
     *
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public static BmcAction fromRufio(com.fasterxml.jackson.databind.JsonNode task) {
        if (task == null || !task.isObject()) {
            throw new IllegalArgumentException("a task is an object with one of powerAction, bootDevice, oneTimeBootDeviceAction, "
                    + "virtualMediaAction");
        }
        java.util.List<String> given = new java.util.ArrayList<>();
        task.fieldNames().forEachRemaining(given::add);
        given.retainAll(java.util.List.of("powerAction", "bootDevice", "oneTimeBootDeviceAction", "virtualMediaAction"));
        if (given.size() != 1) {
            throw new IllegalArgumentException("a task has exactly one of powerAction, bootDevice, oneTimeBootDeviceAction, "
                    + "virtualMediaAction (" + (given.isEmpty() ? "none" : String.join(", ", given)) + " given)");
        }
        switch (given.get(0)) {
            case "powerAction":
                return power(PowerAction.of(task.path("powerAction").asText()));
            case "bootDevice": {
                com.fasterxml.jackson.databind.JsonNode b = task.path("bootDevice");
                return boot(BootDevice.of(b.path("device").asText()), b.path("persistent").asBoolean(false), b.path("efiBoot").asBoolean(false));
            }
            case "oneTimeBootDeviceAction": {
                com.fasterxml.jackson.databind.JsonNode b = task.path("oneTimeBootDeviceAction");
                com.fasterxml.jackson.databind.JsonNode devices = b.path("device");
                String first = devices.isArray() ? devices.path(0).asText() : devices.asText();
                return boot(BootDevice.of(first), false, b.path("efiBoot").asBoolean(false));
            }
            default: {
                com.fasterxml.jackson.databind.JsonNode v = task.path("virtualMediaAction");
                String kind = v.path("kind").asText("CD");
                if (!kind.equals("CD")) {
                    throw new IllegalArgumentException("virtualMediaAction.kind " + kind + " is not CD, the one kind there is");
                }
                return media(v.path("mediaURL").asText(""));
            }
        }
    }

    /** This action as Rufio writes a task: the inverse of {@link #fromRufio}. */
    public com.fasterxml.jackson.databind.node.ObjectNode toRufio() {
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        if (power != null) {
            o.put("powerAction", power.wire());
        } else if (bootDevice != null) {
            o.putObject("bootDevice").put("device", bootDevice.wire()).put("persistent", persistent).put("efiBoot", efiBoot);
        } else {
            o.putObject("virtualMediaAction").put("mediaURL", mediaUrl).put("kind", "CD");
        }
        return o;
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
