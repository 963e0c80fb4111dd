package io.ironbell.api.hardware;

import java.net.InetAddress;
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
}
