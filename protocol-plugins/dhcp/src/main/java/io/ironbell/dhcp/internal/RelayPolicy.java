package io.ironbell.dhcp.internal;

import io.ironbell.api.hardware.HardwareInterface;
import java.net.Inet4Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which relay agents get answers. The answer to a relayed request goes to its giaddr, which
 * anyone can write into a datagram, so answering every giaddr reflects answers at any address.
 * With {@code dhcp.relays} set, only giaddrs in those blocks are answered. Without it, a giaddr
 * is answered when it lies in the subnet of the machine's reservation (its address and netmask:
 * a relay's giaddr is its own address on the client's link, RFC 2131 §4.1) or in a subnet of one
 * of this server's own interfaces (a relay beside the server).
 */
final class RelayPolicy {

    private final List<Subnet> configured;
    private final Supplier<List<Subnet>> own;

    /**
     * @param configured the blocks of {@code dhcp.relays}; empty: the rule above
     * @param own        the subnets of this server's interfaces
     */
    RelayPolicy(List<Subnet> configured, Supplier<List<Subnet>> own) {
        this.configured = List.copyOf(configured);
        this.own = own;
    }

    boolean configured() {
        return !configured.isEmpty();
    }

    /** Whether the answer for {@code nic} may go to the relay at {@code giaddr}. */
    boolean allows(Inet4Address giaddr, HardwareInterface nic) {
        if (!configured.isEmpty()) {
            return Subnet.any(configured, giaddr);
        }
        if (nic != null && nic.dhcp() != null && nic.dhcp().ip() != null) {
            Subnet reserved = Subnet.ofMask(DhcpResponder.ipv4(nic.dhcp().ip().address()), DhcpResponder.ipv4(nic.dhcp().ip().netmask()));
            if (reserved != null && reserved.contains(giaddr)) {
                return true;
            }
        }
        return Subnet.any(own.get(), giaddr);
    }

    /**
     * The IPv4 subnets of this host's interfaces that are up, read again at most every
     * {@code refreshNanos} (an address may be added while the server runs).
     */
    static Supplier<List<Subnet>> interfaces(long refreshNanos) {
        return new Supplier<>() {
            private List<Subnet> subnets = List.of();
            private long readAt;
            private boolean read;

            @Override
            public synchronized List<Subnet> get() {
                long now = System.nanoTime();
                if (!read || now - readAt > refreshNanos) {
                    subnets = read();
                    readAt = now;
                    read = true;
                }
                return subnets;
            }
        };
    }

    private static List<Subnet> read() {
        List<Subnet> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp()) {
                    continue;
                }
                for (InterfaceAddress a : nic.getInterfaceAddresses()) {
                    if (a.getAddress() instanceof Inet4Address v4 && a.getNetworkPrefixLength() >= 0 && a.getNetworkPrefixLength() <= 32) {
                        out.add(Subnet.of(v4, a.getNetworkPrefixLength()));
                    }
                }
            }
        } catch (SocketException e) {
            // none known: only reservations' subnets and dhcp.relays count
        }
        return List.copyOf(out);
    }
}
