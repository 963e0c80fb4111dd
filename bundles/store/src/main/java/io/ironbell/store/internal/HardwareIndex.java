package io.ironbell.store.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.MacAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hardware by id, MAC address and IP address, in memory: what DHCP, TFTP, iPXE and metadata
 * ask at packet rate. Readers never lock; writers (the store after a commit, the change
 * listener) serialise among themselves so the three maps agree once a write returns.
 */
final class HardwareIndex {

    private final Map<String, Hardware> byId = new ConcurrentHashMap<>();
    private final Map<MacAddress, Hardware> byMac = new ConcurrentHashMap<>();
    private final Map<InetAddress, Hardware> byIp = new ConcurrentHashMap<>();

    Optional<Hardware> byMac(MacAddress mac) {
        return Optional.ofNullable(byMac.get(mac));
    }

    Optional<Hardware> byIp(InetAddress ip) {
        return Optional.ofNullable(byIp.get(ip));
    }

    Optional<Hardware> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    int size() {
        return byId.size();
    }

    /** Puts the record, replacing the one with its id and the keys that one had. */
    synchronized void put(Hardware hw) {
        Hardware old = byId.put(hw.id(), hw);
        if (old != null) {
            unkey(old);
        }
        for (HardwareInterface i : hw.interfaces()) {
            MacAddress mac = i.macAddress();
            if (mac != null) {
                byMac.put(mac, hw);
            }
            InetAddress ip = ip(i);
            if (ip != null) {
                byIp.put(ip, hw);
            }
        }
    }

    /** Removes the record with this id. */
    synchronized void remove(String id) {
        Hardware old = byId.remove(id);
        if (old != null) {
            unkey(old);
        }
    }

    /** Replaces everything (a full reload). */
    synchronized void replaceAll(Collection<Hardware> all) {
        byId.clear();
        byMac.clear();
        byIp.clear();
        all.forEach(this::put);
    }

    private void unkey(Hardware old) {
        for (HardwareInterface i : old.interfaces()) {
            MacAddress mac = i.macAddress();
            if (mac != null) {
                byMac.remove(mac, old);
            }
            InetAddress ip = ip(i);
            if (ip != null) {
                byIp.remove(ip, old);
            }
        }
    }

    /** The interface's reserved address, parsed without a DNS lookup; null when absent or not literal. */
    static InetAddress ip(HardwareInterface i) {
        if (i.dhcp() == null || i.dhcp().ip() == null) {
            return null;
        }
        String a = i.dhcp().ip().address();
        if (a == null || a.isBlank() || !isLiteral(a)) {
            return null;
        }
        try {
            return InetAddress.getByName(a);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean isLiteral(String a) {
        for (int k = 0; k < a.length(); k++) {
            char c = a.charAt(k);
            if (!(Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
                return false;
            }
        }
        return true;
    }
}
