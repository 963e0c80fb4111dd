package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.Map;

/**
 * Whether and how an interface network-boots.
 *
 * @param allowPxe      whether the DHCP server hands out a boot file
 * @param allowWorkflow whether workflows may run on the machine
 * @param ipxe          a per-machine iPXE script URL or script contents, which win over the default
 * @param osie          a per-machine in-memory OS (kernel and initrd) instead of Ironbell's
 * @param extra         fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Netboot(
        @JsonProperty("allow_pxe") Boolean allowPxe,
        @JsonProperty("allow_workflow") Boolean allowWorkflow,
        Ipxe ipxe,
        Osie osie,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public Netboot {
        extra = Extras.copy(extra);
    }

    /**
     * A per-machine iPXE script.
     *
     * @param url      a URL the machine chains to instead of Ironbell's script
     * @param contents a script served instead of Ironbell's
     * @param extra    fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ipxe(
            String url,
            String contents,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Ipxe {
            extra = Extras.copy(extra);
        }
    }

    /**
     * A per-machine in-memory OS.
     *
     * @param baseUrl where kernel and initrd are found
     * @param kernel  the kernel's file name under {@code baseUrl}
     * @param initrd  the initrd's file name under {@code baseUrl}
     * @param extra   fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Osie(
            @JsonProperty("base_url") String baseUrl,
            String kernel,
            String initrd,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Osie {
            extra = Extras.copy(extra);
        }
    }
}
