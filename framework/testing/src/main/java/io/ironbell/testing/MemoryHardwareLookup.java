package io.ironbell.testing;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Hardware records in a list, found as the store's index finds them (by MAC, reserved address
 * or id), for unit tests of code that asks a {@link HardwareLookup} and needs no database.
 */
public final class MemoryHardwareLookup implements HardwareLookup {

    private final List<Hardware> machines;

    public MemoryHardwareLookup(Hardware... machines) {
        this.machines = List.of(machines);
    }

    @Override
    public Optional<Hardware> byMac(MacAddress mac) {
        return machines.stream().filter(h -> h.interfaceByMac(mac).isPresent()).findFirst();
    }

    @Override
    public Optional<Hardware> byIp(InetAddress address) {
        return machines.stream().filter(h -> h.interfaces().stream().anyMatch(i -> i.dhcp() != null && i.dhcp().ip() != null
                && address.getHostAddress().equals(i.dhcp().ip().address()))).findFirst();
    }

    @Override
    public Optional<Hardware> byId(String id) {
        return machines.stream().filter(h -> h.id().equals(id)).findFirst();
    }
}
