package io.ironbell.store.internal;

import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.Netboot;
import io.ironbell.api.hardware.Network;
import java.util.List;

/** Model objects for store tests. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Hardware hardware(String id, long macValue, String ip) {
        Dhcp dhcp = new Dhcp(MacAddress.of(macValue).toString(), "host-" + id, 86400L, "x86_64", false, "eth0",
                List.of("1.1.1.1"), null, ip == null ? null : new IpConfig(ip, "255.255.0.0", "10.0.0.1", 4, null),
                null, null, null, null, null, null, null, null);
        Netboot netboot = new Netboot(true, true, null, null, null);
        return new Hardware(id, null, new Network(List.of(new HardwareInterface(dhcp, netboot, null)), null), null);
    }

    /** The n-th test address in 10.x.y.z. */
    public static String ip(int n) {
        return "10." + ((n >> 16) & 0xFF) + "." + ((n >> 8) & 0xFF) + "." + (n & 0xFF);
    }
}
