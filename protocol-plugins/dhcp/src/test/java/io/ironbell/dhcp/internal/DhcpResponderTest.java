package io.ironbell.dhcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import java.io.InputStream;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reservation-mode and proxy-mode answers from Tinkerbell's sample hardware record. */
class DhcpResponderTest {

    static final String MAC = "52:54:00:12:34:56";
    static final String NO_PXE_MAC = "52:54:00:12:34:57";

    private Hardware hw;
    private final DhcpResponder responder = new DhcpResponder(
            new DhcpResponder.Settings(DhcpResponder.ipv4("10.250.0.2"), "http://10.250.0.2:8080", false));
    private final DhcpResponder proxy = new DhcpResponder(
            new DhcpResponder.Settings(DhcpResponder.ipv4("10.250.0.2"), "http://10.250.0.2:8080", true));

    @BeforeEach
    void load() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tink-hardware.json")) {
            hw = Json.mapper().readValue(in, Hardware.class);
        }
    }

    static DhcpMessage request(String mac, int type, DhcpOptions.Builder extra) {
        byte[] chaddr = new byte[16];
        System.arraycopy(MacAddress.parse(mac).toBytes(), 0, chaddr, 0, 6);
        DhcpOptions.Builder o = extra == null ? DhcpOptions.builder() : extra;
        o.u8(DhcpOptions.MESSAGE_TYPE, type);
        return new DhcpMessage(1, 1, 6, 0, 0x1234, 0, 0x8000, any(), any(), any(), any(), chaddr, "", "", o.build());
    }

    static DhcpOptions.Builder pxe(int arch, String vendorClass) {
        return DhcpOptions.builder().string(DhcpOptions.VENDOR_CLASS, vendorClass).u16(DhcpOptions.CLIENT_ARCH, arch)
                .put(DhcpOptions.CLIENT_UUID, new byte[17]);
    }

    static Inet4Address any() {
        return DhcpResponder.ipv4("0.0.0.0");
    }

    private DhcpMessage answer(DhcpMessage req) {
        return responder.respond(req, Optional.of(hw)).orElseThrow(() -> new AssertionError("no answer to " + req));
    }

    @Test
    void unknownMacsGetSilence() {
        assertTrue(responder.respond(request("52:54:00:99:99:99", DhcpMessage.DISCOVER, null), Optional.empty()).isEmpty());
    }

    @Test
    void aBiosPxeDiscoverGetsItsReservationAndUndionly() {
        DhcpMessage offer = answer(request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient:Arch:00000:UNDI:002001")));
        assertEquals(DhcpMessage.OFFER, offer.messageType().orElseThrow());
        assertEquals(DhcpResponder.ipv4("10.250.0.10"), offer.yiaddr());
        assertEquals(0x1234, offer.xid());
        DhcpOptions o = offer.options();
        assertEquals(List.of(DhcpResponder.ipv4("255.255.255.0")), o.addresses(DhcpOptions.SUBNET_MASK));
        assertEquals(List.of(DhcpResponder.ipv4("10.250.0.1")), o.addresses(DhcpOptions.ROUTER));
        assertEquals(List.of(DhcpResponder.ipv4("1.1.1.1")), o.addresses(DhcpOptions.DNS));
        assertEquals(List.of(DhcpResponder.ipv4("10.250.0.255")), o.addresses(DhcpOptions.BROADCAST));
        assertEquals("node-1", o.string(DhcpOptions.HOSTNAME).orElseThrow());
        assertEquals(86400L, o.u32(DhcpOptions.LEASE_TIME).orElseThrow());
        assertEquals(DhcpResponder.ipv4("10.250.0.2"), o.address(DhcpOptions.SERVER_ID).orElseThrow());
        assertEquals("undionly.kpxe", offer.file());
        assertEquals(DhcpResponder.ipv4("10.250.0.2"), offer.siaddr(), "next-server is Ironbell");
        assertEquals("PXEClient", o.string(DhcpOptions.VENDOR_CLASS).orElseThrow());
        assertArrayEquals(new byte[17], o.bytes(DhcpOptions.CLIENT_UUID).orElseThrow(), "option 97 echoed");
    }

    @Test
    void theBootFileFollowsTheArchitecture() {
        assertEquals("ipxe.efi", answer(request(MAC, DhcpMessage.DISCOVER, pxe(7, "PXEClient:Arch:00007"))).file());
        assertEquals("ipxe.efi", answer(request(MAC, DhcpMessage.DISCOVER, pxe(9, "PXEClient:Arch:00009"))).file());
        assertEquals("snp-arm64.efi", answer(request(MAC, DhcpMessage.DISCOVER, pxe(11, "PXEClient:Arch:00011"))).file());
        assertEquals("", answer(request(MAC, DhcpMessage.DISCOVER, pxe(99, "PXEClient:Arch:00099"))).file(), "no binary for it");
        assertEquals("", answer(request(MAC, DhcpMessage.DISCOVER, null)).file(), "not a netboot client");
    }

    @Test
    void iPxeGetsItsScriptUrlAndHttpBootGetsAnHttpUrl() throws Exception {
        DhcpOptions.Builder ipxe = pxe(0, "PXEClient:Arch:00000").put(DhcpOptions.USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        assertEquals("http://10.250.0.2:8080/ipxe/52:54:00:12:34:56/auto.ipxe", answer(request(MAC, DhcpMessage.DISCOVER, ipxe)).file());
        DhcpMessage http = answer(request(MAC, DhcpMessage.DISCOVER, pxe(16, "HTTPClient:Arch:00016")));
        assertEquals("http://10.250.0.2:8080/ipxe/binaries/ipxe.efi", http.file());
        assertEquals("HTTPClient", http.options().string(DhcpOptions.VENDOR_CLASS).orElseThrow());
        // a hardware record's own iPXE URL wins
        hw = Json.mapper().readValue(Json.mapper().writeValueAsString(hw).replace("\"ipxe\":{\"url\":\"\"", "\"ipxe\":{\"url\":\"http://x/custom.ipxe\""),
                Hardware.class);
        DhcpOptions.Builder again = pxe(0, "PXEClient").put(DhcpOptions.USER_CLASS, new byte[] {4, 'i', 'P', 'X', 'E'});
        assertEquals("http://x/custom.ipxe", answer(request(MAC, DhcpMessage.DISCOVER, again)).file());
    }

    @Test
    void allowPxeFalseGetsAnAddressButNoBootFile() {
        DhcpMessage offer = answer(request(NO_PXE_MAC, DhcpMessage.DISCOVER, pxe(7, "PXEClient:Arch:00007")));
        assertEquals(DhcpResponder.ipv4("10.250.1.10"), offer.yiaddr());
        assertEquals("", offer.file());
        assertTrue(!offer.options().has(DhcpOptions.VENDOR_CLASS));
        // the second interface's extras: search domain and a classless route
        assertArrayEquals(new byte[] {3, 'l', 'a', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0},
                offer.options().bytes(DhcpOptions.DOMAIN_SEARCH).orElseThrow());
        assertArrayEquals(new byte[] {8, 10, 10, (byte) 250, 0, (byte) 254}, offer.options().bytes(DhcpOptions.CLASSLESS_ROUTES).orElseThrow());
    }

    @Test
    void requestsAreAckedOrNakedByTheReservation() {
        DhcpMessage ack = answer(request(MAC, DhcpMessage.REQUEST, DhcpOptions.builder()
                .addresses(DhcpOptions.REQUESTED_IP, List.of(DhcpResponder.ipv4("10.250.0.10")))
                .addresses(DhcpOptions.SERVER_ID, List.of(DhcpResponder.ipv4("10.250.0.2")))));
        assertEquals(DhcpMessage.ACK, ack.messageType().orElseThrow());
        assertEquals(DhcpResponder.ipv4("10.250.0.10"), ack.yiaddr());
        DhcpMessage nak = answer(request(MAC, DhcpMessage.REQUEST, DhcpOptions.builder()
                .addresses(DhcpOptions.REQUESTED_IP, List.of(DhcpResponder.ipv4("10.250.0.99")))));
        assertEquals(DhcpMessage.NAK, nak.messageType().orElseThrow());
        assertTrue(responder.respond(request(MAC, DhcpMessage.REQUEST, DhcpOptions.builder()
                .addresses(DhcpOptions.SERVER_ID, List.of(DhcpResponder.ipv4("10.250.0.77")))), Optional.of(hw)).isEmpty(),
                "a request for another server's offer is not ours to answer");
        DhcpMessage inform = answer(request(MAC, DhcpMessage.INFORM, null));
        assertEquals(DhcpMessage.ACK, inform.messageType().orElseThrow());
        assertEquals(any(), inform.yiaddr());
        assertTrue(!inform.options().has(DhcpOptions.LEASE_TIME));
        assertTrue(responder.respond(request(MAC, DhcpMessage.RELEASE, null), Optional.of(hw)).isEmpty());
    }

    @Test
    void disabledInterfacesGetSilence() throws Exception {
        hw = Json.mapper().readValue(Json.mapper().writeValueAsString(hw).replace("\"disable_dhcp\":false", "\"disable_dhcp\":true"),
                Hardware.class);
        assertTrue(responder.respond(request(NO_PXE_MAC, DhcpMessage.DISCOVER, null), Optional.of(hw)).isEmpty());
    }

    @Test
    void proxyModeOffersBootOptionsWithoutAnAddress() {
        DhcpMessage offer = proxy.respond(request(MAC, DhcpMessage.DISCOVER, pxe(7, "PXEClient:Arch:00007:UNDI:003016")), Optional.of(hw))
                .orElseThrow();
        assertEquals(DhcpMessage.OFFER, offer.messageType().orElseThrow());
        assertEquals(any(), offer.yiaddr(), "the other server gives the address");
        assertEquals("ipxe.efi", offer.file());
        assertEquals(DhcpResponder.ipv4("10.250.0.2"), offer.siaddr());
        DhcpOptions o = offer.options();
        assertEquals("PXEClient", o.string(DhcpOptions.VENDOR_CLASS).orElseThrow());
        assertEquals(DhcpResponder.ipv4("10.250.0.2"), o.address(DhcpOptions.SERVER_ID).orElseThrow());
        for (int network : List.of(DhcpOptions.SUBNET_MASK, DhcpOptions.ROUTER, DhcpOptions.DNS, DhcpOptions.LEASE_TIME, DhcpOptions.HOSTNAME)) {
            assertTrue(!o.has(network), "option " + network + " belongs to the other server");
        }
        // iPXE asking again gets its script URL
        DhcpOptions.Builder ipxe = pxe(7, "PXEClient:Arch:00007:UNDI:003016").put(DhcpOptions.USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
        assertEquals("http://10.250.0.2:8080/ipxe/" + MAC + "/auto.ipxe",
                proxy.respond(request(MAC, DhcpMessage.DISCOVER, ipxe), Optional.of(hw)).orElseThrow().file());
    }

    @Test
    void proxyModeAcksOnTheBootServerPortAndLeavesOtherRequestsAlone() {
        DhcpMessage toOther = request(MAC, DhcpMessage.REQUEST, pxe(0, "PXEClient").addresses(DhcpOptions.SERVER_ID, List.of(DhcpResponder.ipv4("10.250.0.1"))));
        assertTrue(proxy.respond(toOther, Optional.of(hw)).isEmpty(), "a request for the address-giving server");
        DhcpMessage ack = proxy.respond(request(MAC, DhcpMessage.REQUEST, pxe(0, "PXEClient")), Optional.of(hw), true).orElseThrow();
        assertEquals(DhcpMessage.ACK, ack.messageType().orElseThrow());
        assertEquals("undionly.kpxe", ack.file());
        assertEquals(any(), ack.yiaddr());
        DhcpMessage named = request(MAC, DhcpMessage.REQUEST, pxe(0, "PXEClient").addresses(DhcpOptions.SERVER_ID, List.of(DhcpResponder.ipv4("10.250.0.2"))));
        assertEquals(DhcpMessage.ACK, proxy.respond(named, Optional.of(hw)).orElseThrow().messageType().orElseThrow());
        assertTrue(proxy.respond(request(MAC, DhcpMessage.DISCOVER, null), Optional.of(hw)).isEmpty(), "not a netboot client");
        assertTrue(proxy.respond(request(NO_PXE_MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")), Optional.of(hw)).isEmpty(),
                "allow_pxe=false");
        assertTrue(proxy.respond(request("52:54:00:99:99:99", DhcpMessage.DISCOVER, pxe(0, "PXEClient")), Optional.empty()).isEmpty());
    }
}
