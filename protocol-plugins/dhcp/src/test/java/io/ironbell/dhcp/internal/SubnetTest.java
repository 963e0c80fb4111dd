package io.ironbell.dhcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The IPv4 blocks of dhcp.relays. */
class SubnetTest {

    @Test
    void relayBlocks() {
        List<Subnet> blocks = Subnet.parseList(" 10.0.0.0/8, 192.0.2.7 ,0.0.0.0/0");
        assertEquals(List.of(Subnet.parse("10.0.0.0/8"), Subnet.parse("192.0.2.7/32"), Subnet.parse("0.0.0.0/0")), blocks);
        assertEquals("10.250.0.0/24", Subnet.parse("10.250.0.77/24").toString());
        assertEquals(true, Subnet.parse("10.250.0.0/24").contains(DhcpResponder.ipv4("10.250.0.254")));
        assertEquals(false, Subnet.parse("10.250.0.0/24").contains(DhcpResponder.ipv4("10.250.1.1")));
        assertEquals(Subnet.parse("10.250.0.0/24"), Subnet.ofMask(DhcpResponder.ipv4("10.250.0.10"), DhcpResponder.ipv4("255.255.255.0")));
        assertEquals(null, Subnet.ofMask(DhcpResponder.ipv4("10.250.0.10"), DhcpResponder.ipv4("255.0.255.0")), "not a netmask");
        for (String bad : List.of("10.0.0.0/33", "10.0.0/8", "example.com", "10.0.0.0/", "fd00::/8")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Subnet.parseList(bad));
            assertEquals("not an IPv4 address or address block: '" + bad + "'", e.getMessage());
        }
    }
}
