package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A machine that Ironbell can provision: Tinkerbell's hardware record (the tink v0.6.0 JSON
 * shape) read and written without loss.
 *
 * <p>Every level of the record keeps the fields Ironbell does not model in {@code extra}, so
 * a record pushed by a Tinkerbell tool comes back out byte-for-byte equivalent. Absent fields
 * stay absent ({@code null}); use the helper methods for defaults.
 *
 * @param id       the record's identifier (a UUID in Tinkerbell; any non-blank text here)
 * @param metadata the machine's metadata, as the metadata service serves it
 * @param network  its network interfaces
 * @param extra    fields this model does not name, kept as they came
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Hardware(
        String id,
        HardwareMetadata metadata,
        Network network,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public Hardware {
        extra = Extras.copy(extra);
    }

    /** Returns the network interfaces, empty when the record has none. */
    @JsonIgnore
    public List<HardwareInterface> interfaces() {
        return network == null || network.interfaces() == null ? List.of() : network.interfaces();
    }

    /** Returns the interface whose DHCP section carries {@code mac}. */
    public Optional<HardwareInterface> interfaceByMac(MacAddress mac) {
        for (HardwareInterface i : interfaces()) {
            if (mac.equals(i.macAddress())) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** Returns the host name from the first interface's DHCP section, or the instance's. */
    @JsonIgnore
    public Optional<String> hostname() {
        for (HardwareInterface i : interfaces()) {
            if (i.dhcp() != null && i.dhcp().hostname() != null && !i.dhcp().hostname().isEmpty()) {
                return Optional.of(i.dhcp().hostname());
            }
        }
        if (metadata != null && metadata.instance() != null) {
            return Optional.ofNullable(metadata.instance().hostname());
        }
        return Optional.empty();
    }

    /** Returns a copy with another identifier. */
    public Hardware withId(String newId) {
        return new Hardware(newId, metadata, network, extra);
    }
}
