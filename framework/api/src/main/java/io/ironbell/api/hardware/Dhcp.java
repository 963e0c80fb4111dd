package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.List;
import java.util.Map;

/**
 * The DHCP section of an interface: what the DHCP server answers to its MAC.
 *
 * <p>The first fields are tink v0.6.0's; the ones after {@code ip} were added by later
 * Tinkerbell releases and by Ironbell.
 *
 * @param mac                   the interface's MAC address
 * @param hostname              DHCP option 12
 * @param leaseTime             lease time in seconds (option 51)
 * @param arch                  CPU architecture, e.g. {@code x86_64}, {@code aarch64}
 * @param uefi                  whether the firmware is UEFI
 * @param ifaceName             the interface's name in the installed OS
 * @param nameServers           DNS servers (option 6)
 * @param timeServers           NTP servers (option 42)
 * @param ip                    the reserved address, netmask (option 1) and gateway (option 3)
 * @param domainName            DNS domain (option 15)
 * @param domainSearch          DNS search list (option 119)
 * @param vlanId                VLAN the interface is on, as text (Tinkerbell's type)
 * @param classlessStaticRoutes option 121
 * @param tftpServerName        overrides next-server for this interface
 * @param bootFileName          overrides the boot file for this interface
 * @param disabled              when true, the DHCP server does not answer this MAC at all
 * @param extra                 fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Dhcp(
        String mac,
        String hostname,
        @JsonProperty("lease_time") Long leaseTime,
        String arch,
        Boolean uefi,
        @JsonProperty("iface_name") String ifaceName,
        @JsonProperty("name_servers") List<String> nameServers,
        @JsonProperty("time_servers") List<String> timeServers,
        IpConfig ip,
        @JsonProperty("domain_name") String domainName,
        @JsonProperty("domain_search") List<String> domainSearch,
        @JsonProperty("vlan_id") String vlanId,
        @JsonProperty("classless_static_routes") List<StaticRoute> classlessStaticRoutes,
        @JsonProperty("tftp_server_name") String tftpServerName,
        @JsonProperty("boot_file_name") String bootFileName,
        @JsonProperty("disable_dhcp") Boolean disabled,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public Dhcp {
        nameServers = nameServers == null ? null : List.copyOf(nameServers);
        timeServers = timeServers == null ? null : List.copyOf(timeServers);
        domainSearch = domainSearch == null ? null : List.copyOf(domainSearch);
        classlessStaticRoutes = classlessStaticRoutes == null ? null : List.copyOf(classlessStaticRoutes);
        extra = Extras.copy(extra);
    }

    /**
     * One classless static route (DHCP option 121).
     *
     * @param destination the destination in CIDR notation, e.g. {@code 10.0.0.0/8}
     * @param router      the router to reach it through
     * @param extra       fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StaticRoute(
            @JsonProperty("destination_descriptor") String destination,
            String router,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public StaticRoute {
            extra = Extras.copy(extra);
        }
    }
}
