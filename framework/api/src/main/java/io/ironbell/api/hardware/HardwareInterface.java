package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.Map;

/**
 * One network interface of a machine.
 *
 * @param dhcp    what the DHCP server hands this interface
 * @param netboot whether and how it may network-boot
 * @param extra   fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HardwareInterface(
        Dhcp dhcp,
        Netboot netboot,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public HardwareInterface {
        extra = Extras.copy(extra);
    }

    /** Returns the interface's MAC address, or {@code null} when it has none or it is malformed. */
    @JsonIgnore
    public MacAddress macAddress() {
        if (dhcp == null || dhcp.mac() == null) {
            return null;
        }
        try {
            return MacAddress.parse(dhcp.mac());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether PXE boot is allowed (Tinkerbell's default: not unless {@code allow_pxe} is true). */
    @JsonIgnore
    public boolean allowsPxe() {
        return netboot != null && Boolean.TRUE.equals(netboot.allowPxe());
    }

    /** Whether workflows may run on this machine (Tinkerbell's default: not unless set). */
    @JsonIgnore
    public boolean allowsWorkflow() {
        return netboot != null && Boolean.TRUE.equals(netboot.allowWorkflow());
    }
}
