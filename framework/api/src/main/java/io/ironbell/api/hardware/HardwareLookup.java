package io.ironbell.api.hardware;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Finds hardware records on the packet hot path.
 *
 * <p>DHCP, TFTP, iPXE and metadata call this for every packet or request, so implementations
 * answer from memory without blocking: no database round trip, no lock held while the index is
 * refreshed. The answer reflects every change that the store has acknowledged, on this instance
 * at once and on other instances as soon as their change notification arrives.
 */
@ProviderType
public interface HardwareLookup {

    /** Returns the hardware one of whose interfaces has this MAC address. */
    Optional<Hardware> byMac(MacAddress mac);

    /** Returns the hardware one of whose interfaces has this IP address reserved. */
    Optional<Hardware> byIp(InetAddress address);

    /** Returns the hardware with this identifier. */
    Optional<Hardware> byId(String id);

    /**
     * Finds hardware by whatever an operator typed: a MAC address ({@code 52:54:00:12:34:56},
     * dashes or none), else an IP address literal (IPv4 dotted quad or IPv6), else the record's id.
     * The one lookup by key that the API, the CLI and the shell share. Never resolves a name
     * through DNS.
     *
     * @param key a MAC address, an IP address or an id; blank finds nothing
     */
    default Optional<Hardware> find(String key) {
        if (key == null || key.isBlank()) {
            return Optional.empty();
        }
        String k = key.trim();
        try {
            Optional<Hardware> byMac = byMac(MacAddress.parse(k));
            if (byMac.isPresent()) {
                return byMac;
            }
        } catch (IllegalArgumentException notAMac) {
            // the next form
        }
        if (LookupKeys.IPV4.matcher(k).matches() || LookupKeys.IPV6.matcher(k).matches()) {
            try {
                // a literal (checked above) is parsed, never looked up
                Optional<Hardware> byIp = byIp(InetAddress.getByName(k));
                if (byIp.isPresent()) {
                    return byIp;
                }
            } catch (UnknownHostException notAnAddress) {
                // an id that looks like one
            }
        }
        return byId(k);
    }
}
