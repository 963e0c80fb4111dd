package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.List;
import java.util.Map;

/**
 * The {@code network} section of a hardware record.
 *
 * @param interfaces the machine's interfaces, each with its DHCP and netboot settings
 * @param extra      fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Network(
        List<HardwareInterface> interfaces,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public Network {
        interfaces = interfaces == null ? null : List.copyOf(interfaces);
        extra = Extras.copy(extra);
    }
}
