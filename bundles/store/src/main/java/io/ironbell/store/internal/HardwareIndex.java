package io.ironbell.store.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.MacAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Hardware by id, MAC address and IP address, in memory: what DHCP, TFTP, iPXE and metadata
 * ask at packet rate. Readers never lock; writers (the store after a commit, the change
 * listener) serialise among themselves so the three maps agree once a write returns.
 */
final class HardwareIndex {

    /** The three maps, replaced whole by a reload so that readers never see it half done. */
    private record Maps(Map<String, Hardware> byId, Map<MacAddress, Hardware> byMac, Map<InetAddress, Hardware> byIp) {
        Maps() {
            this(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        }
    }

    private volatile Maps maps = new Maps();
    /** While a reload reads its snapshot: the changes made meanwhile, to apply again on top of it; else null. */
    private List<Consumer<Maps>> sinceReloadBegan;

    Optional<Hardware> byMac(MacAddress mac) {
        return Optional.ofNullable(maps.byMac().get(mac));
    }

    Optional<Hardware> byIp(InetAddress ip) {
        return Optional.ofNullable(maps.byIp().get(ip));
    }

    Optional<Hardware> byId(String id) {
        return Optional.ofNullable(maps.byId().get(id));
    }

    int size() {
        return maps.byId().size();
    }

    /** Puts the record, replacing the one with its id and the keys that one had. */
    synchronized void put(Hardware hw) {
        apply(m -> put(m, hw));
    }

    private static void put(Maps m, Hardware hw) {
        Hardware old = m.byId().put(hw.id(), hw);
        if (old != null) {
            unkey(m, old);
        }
        for (HardwareInterface i : hw.interfaces()) {
            MacAddress mac = i.macAddress();
            if (mac != null) {
                m.byMac().put(mac, hw);
            }
            InetAddress ip = ip(i);
            if (ip != null) {
                m.byIp().put(ip, hw);
            }
        }
    }

    /** Removes the record with this id. */
    synchronized void remove(String id) {
        apply(m -> {
            Hardware old = m.byId().remove(id);
            if (old != null) {
                unkey(m, old);
            }
        });
    }

    private void apply(Consumer<Maps> change) {
        change.accept(maps);
        if (sinceReloadBegan != null) {
            sinceReloadBegan.add(change);
        }
    }

    /**
     * Starts a full reload: call it before reading the snapshot that {@link #replaceAll} will get.
     * Changes made from now on are kept, because the snapshot may have been read before them.
     */
    synchronized void beginReload() {
        sinceReloadBegan = new ArrayList<>();
    }

    /**
     * Replaces everything with a snapshot read after {@link #beginReload}: built aside, the changes
     * made since the reload began applied on top (a write acknowledged while the snapshot was read
     * stays), then swapped in at once, so that readers never see a half-built index.
     */
    synchronized void replaceAll(Collection<Hardware> all) {
        Maps next = new Maps();
        all.forEach(hw -> put(next, hw));
        if (sinceReloadBegan != null) {
            sinceReloadBegan.forEach(change -> change.accept(next));
        }
        sinceReloadBegan = null;
        maps = next;
    }

    /** Ends a reload whose snapshot could not be read: the index stays as it is. */
    synchronized void abandonReload() {
        sinceReloadBegan = null;
    }

    private static void unkey(Maps m, Hardware old) {
        for (HardwareInterface i : old.interfaces()) {
            MacAddress mac = i.macAddress();
            if (mac != null) {
                m.byMac().remove(mac, old);
            }
            InetAddress ip = ip(i);
            if (ip != null) {
                m.byIp().remove(ip, old);
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
