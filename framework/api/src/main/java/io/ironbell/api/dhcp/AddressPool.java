package io.ironbell.api.dhcp;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A range of addresses handed to machines no reservation names.
 *
 * @param subnet        the pool's network, CIDR ({@code 10.0.8.0/24}); first and last lie in it
 * @param relays        relay agents' addresses (giaddr) whose requests this pool answers, besides its subnet's
 * @param leaseSeconds  how long a bound address is the client's without renewal
 * @param offerSeconds  how long an offered address is held for the client's REQUEST
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AddressPool(String name, String subnet, String firstAddress, String lastAddress, List<String> relays, String router,
        List<String> dns, int leaseSeconds, int offerSeconds) {

    public AddressPool {
        relays = relays == null ? List.of() : List.copyOf(relays);
        dns = dns == null ? List.of() : List.copyOf(dns);
        leaseSeconds = leaseSeconds <= 0 ? 3600 : leaseSeconds;
        offerSeconds = offerSeconds <= 0 ? 60 : offerSeconds;
    }
}
