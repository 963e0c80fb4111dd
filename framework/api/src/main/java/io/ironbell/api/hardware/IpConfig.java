package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.Map;

/**
 * The IPv4 configuration that an interface receives.
 *
 * @param address the reserved address
 * @param netmask its netmask, dotted
 * @param gateway the default router
 * @param family  4 or 6 (tink's field; Ironbell's DHCP serves family 4)
 * @param extra   fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record IpConfig(
        String address,
        String netmask,
        String gateway,
        Integer family,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public IpConfig {
        extra = Extras.copy(extra);
    }
}
