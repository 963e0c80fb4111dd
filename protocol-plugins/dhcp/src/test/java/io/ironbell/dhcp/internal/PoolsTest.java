package io.ironbell.dhcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** dhcp.pools' syntax, which requests are the pools', and what a pool's reply carries. */
class PoolsTest {

    private static final AddressPool LAB = new AddressPool("lab", "10.9.0.0/24", "10.9.0.100", "10.9.0.199", List.of(), "10.9.0.1",
            List.of("10.9.0.53"), 1200, 30);

    @Test
    void poolsAreParsedWithEveryKey() {
        List<AddressPool> p = Pools.parse("name=lab subnet=10.9.0.0/24 range=10.9.0.100-10.9.0.199 router=10.9.0.1 dns=10.9.0.53,1.1.1.1 "
                + "lease=1200 offer=30 relays=10.8.0.1 ;  name=b subnet=10.7.0.0/16 range=10.7.1.0-10.7.1.255");
        assertEquals(new AddressPool("lab", "10.9.0.0/24", "10.9.0.100", "10.9.0.199", List.of("10.8.0.1"), "10.9.0.1",
                List.of("10.9.0.53", "1.1.1.1"), 1200, 30), p.get(0));
        assertEquals(new AddressPool("b", "10.7.0.0/16", "10.7.1.0", "10.7.1.255", null, null, null, 0, 0), p.get(1));
        assertEquals(3600, p.get(1).leaseSeconds());
        assertEquals(List.of(), Pools.parse("  "));
    }

    @Test
    void aWrongPoolSaysWhichPoolAndWhichKey() {
        assertEquals("pool lab: range 10.9.1.1-10.9.1.9 is not in subnet 10.9.0.0/24",
                assertThrows(IllegalArgumentException.class, () -> Pools.parse("name=lab subnet=10.9.0.0/24 range=10.9.1.1-10.9.1.9")).getMessage());
        assertEquals("pool lab: lease must be seconds, more than 0, was 'soon'", assertThrows(IllegalArgumentException.class,
                () -> Pools.parse("name=lab subnet=10.9.0.0/24 range=10.9.0.1-10.9.0.9 lease=soon")).getMessage());
        assertEquals("pool 1: name, subnet and range are required",
                assertThrows(IllegalArgumentException.class, () -> Pools.parse("subnet=10.9.0.0/24")).getMessage());
        assertEquals("pool lab: colour is not a pool key (name, subnet, range, router, dns, lease, offer, relays)",
                assertThrows(IllegalArgumentException.class, () -> Pools.parse("name=lab colour=red")).getMessage());
        assertEquals("pool lab: router must be IPv4 addresses, was 'gw.example'",
                assertThrows(IllegalArgumentException.class, () -> Pools.parse("name=lab router=gw.example")).getMessage());
    }

    @Test
    void reservationsAndRefusedMacsAreNotThePools() throws Exception {
        Hardware reserved = Json.mapper().readValue("{\"id\":\"r\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:00:01\","
                + "\"ip\":{\"address\":\"10.9.0.150\"}}}]}}", Hardware.class);
        Hardware noAddress = Json.mapper().readValue("{\"id\":\"n\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:00:02\"},"
                + "\"netboot\":{\"allow_pxe\":true}}]}}", Hardware.class);
        Hardware refused = Json.mapper().readValue("{\"id\":\"d\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:00:00:03\","
                + "\"disable_dhcp\":true}}]}}", Hardware.class);
        assertFalse(Pools.unreserved(DhcpResponderTest.request("52:54:00:00:00:01", DhcpMessage.DISCOVER, null), Optional.of(reserved)));
        assertTrue(Pools.unreserved(DhcpResponderTest.request("52:54:00:00:00:02", DhcpMessage.DISCOVER, null), Optional.of(noAddress)));
        assertFalse(Pools.unreserved(DhcpResponderTest.request("52:54:00:00:00:03", DhcpMessage.DISCOVER, null), Optional.of(refused)));
        assertTrue(Pools.unreserved(DhcpResponderTest.request("52:54:00:00:00:04", DhcpMessage.DISCOVER, null), Optional.empty()));
    }

    @Test
    void aPoolReplyCarriesThePoolsOptionsTheRenewalTimesAndTheClientId() {
        DhcpResponder discovery = new DhcpResponder(new DhcpResponder.Settings(DhcpResponder.ipv4("10.9.0.2"), "http://10.9.0.2:8080", false, () -> true));
        byte[] clientId = {1, 0x52, 0x54, 0, 0, 0, 4};
        DhcpMessage req = DhcpResponderTest.request("52:54:00:00:00:04", DhcpMessage.DISCOVER,
                DhcpResponderTest.pxe(0, "PXEClient:Arch:00000").put(DhcpOptions.CLIENT_ID, clientId));
        DhcpMessage offer = discovery.poolReply(req, null, LAB, DhcpResponder.ipv4("10.9.0.123"), DhcpMessage.OFFER);
        DhcpOptions o = offer.options();
        assertEquals(DhcpResponder.ipv4("10.9.0.123"), offer.yiaddr());
        assertEquals(List.of(DhcpResponder.ipv4("255.255.255.0")), o.addresses(DhcpOptions.SUBNET_MASK));
        assertEquals(List.of(DhcpResponder.ipv4("10.9.0.1")), o.addresses(DhcpOptions.ROUTER));
        assertEquals(List.of(DhcpResponder.ipv4("10.9.0.53")), o.addresses(DhcpOptions.DNS));
        assertEquals(Optional.of(1200L), o.u32(DhcpOptions.LEASE_TIME));
        assertEquals(Optional.of(600L), o.u32(DhcpOptions.RENEWAL_TIME));
        assertEquals(Optional.of(1050L), o.u32(DhcpOptions.REBINDING_TIME));
        assertArrayEquals(clientId, o.bytes(DhcpOptions.CLIENT_ID).orElseThrow(), "RFC 6842: option 61 echoed");
        // discovery on: an unknown netboot client is sent to iPXE
        assertEquals("undionly.kpxe", offer.file());
        DhcpResponder closed = new DhcpResponder(new DhcpResponder.Settings(DhcpResponder.ipv4("10.9.0.2"), "http://10.9.0.2:8080", false, () -> false));
        assertEquals("", closed.poolReply(req, null, LAB, DhcpResponder.ipv4("10.9.0.123"), DhcpMessage.OFFER).file(),
                "without discovery an unknown machine gets an address, not a boot file");
    }
}
