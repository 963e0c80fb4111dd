package io.ironbell.dhcp.internal;

import static io.ironbell.dhcp.internal.DhcpResponder.ipv4;
import static io.ironbell.dhcp.internal.DhcpResponderTest.MAC;
import static io.ironbell.dhcp.internal.DhcpResponderTest.pxe;
import static io.ironbell.dhcp.internal.DhcpResponderTest.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.dhcp.codec.DhcpCodec;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import io.ironbell.protocol.support.RateLimit;
import io.ironbell.testing.LeakCheck;
import io.ironbell.testing.MemoryHardwareLookup;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The DHCP handler on an {@link EmbeddedChannel}: datagrams in, datagrams out, decoded with the
 * project's codec; the hardware comes from Tinkerbell's sample record, served from memory.
 * Every buffer, inbound and outbound, must end released ({@link LeakCheck}).
 */
@ExtendWith(LeakCheck.Paranoid.class)
class DhcpHandlerTest {

    static final int SERVER_PORT = 67;
    static final int CLIENT_PORT = 68;
    static final Inet4Address SERVER = ipv4("10.250.0.2");
    static final Inet4Address RESERVED = ipv4("10.250.0.10");
    static final Inet4Address BROADCAST = ipv4("255.255.255.255");
    static final Inet4Address ANY = ipv4("0.0.0.0");
    static final InetSocketAddress TO_SERVER = new InetSocketAddress(SERVER, SERVER_PORT);
    static final InetSocketAddress FROM_UNCONFIGURED = new InetSocketAddress(ANY, CLIENT_PORT);
    static final String UNKNOWN_MAC = "52:54:00:99:99:99";

    private record Recorded(DhcpMessage message, Optional<Hardware> hardware) {
    }

    private Hardware hw;
    private HardwareLookup lookup;
    private final List<Recorded> recorded = new ArrayList<>();
    private final LeakCheck leaks = new LeakCheck();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private DhcpHandler handler;
    private EmbeddedChannel channel;
    /** The rate limits' clock, moved by the tests. */
    private long now = 1_000_000_000L;


    @BeforeEach
    void start() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tink-hardware.json")) {
            hw = Json.mapper().readValue(in, Hardware.class);
        }
        lookup = new MemoryHardwareLookup(hw);
        handler = handler(false, false, (m, h) -> recorded.add(new Recorded(m, h)));
        channel = channel(handler);
    }

    @AfterEach
    void everyBufferReleased() {
        for (EmbeddedChannel c : channels) {
            assertFalse(c.finish(), "a message was left in the channel");
        }
        leaks.assertNoLeaks();
    }

    private DhcpHandler handler(boolean proxy, boolean bootServerPort, BiConsumer<DhcpMessage, Optional<Hardware>> recorder) {
        return handler(proxy, bootServerPort, recorder, new RelayPolicy(List.of(), List::of), new RateLimit<>(10, 50, 1000, () -> now));
    }

    private DhcpHandler handler(boolean proxy, boolean bootServerPort, BiConsumer<DhcpMessage, Optional<Hardware>> recorder,
                                RelayPolicy relays, RateLimit<MacAddress> perMac) {
        DhcpResponder responder = new DhcpResponder(new DhcpResponder.Settings(SERVER, "http://10.250.0.2:8080", proxy));
        return new DhcpHandler(() -> lookup, responder, SERVER_PORT, CLIENT_PORT, recorder, bootServerPort, relays, perMac);
    }

    /** An embedded channel whose buffers come from the leak-checking allocator. */
    private EmbeddedChannel channel(DhcpHandler h) throws Exception {
        EmbeddedChannel c = new EmbeddedChannel(false, false);
        c.config().setAllocator(leaks.alloc());
        c.pipeline().addLast(h);
        c.register();
        channels.add(c);
        return c;
    }

    /** The datagram a client sends: the message encoded with the project's codec. */
    private DatagramPacket datagram(DhcpMessage m, InetSocketAddress from) {
        ByteBuf content = leaks.alloc().buffer(576);
        DhcpCodec.encode(m, content);
        return new DatagramPacket(content, TO_SERVER, from);
    }

    private DatagramPacket datagram(byte[] raw) {
        return new DatagramPacket(leaks.alloc().buffer(raw.length).writeBytes(raw), TO_SERVER, FROM_UNCONFIGURED);
    }

    private byte[] bytes(DhcpMessage m) {
        ByteBuf b = leaks.alloc().buffer(576);
        try {
            DhcpCodec.encode(m, b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    /** Writes the datagram in; it must be consumed and released whatever happens. */
    private void receive(EmbeddedChannel c, DatagramPacket in) {
        assertFalse(c.writeInbound(in), "the handler passes nothing on");
        assertEquals(0, in.refCnt(), "the inbound datagram is released");
        assertTrue(c.isOpen() && c.isActive(), "the channel stays open");
    }

    private record Reply(DhcpMessage message, InetSocketAddress to, int length) {
    }

    /** Reads the one reply, decodes it, and releases it. */
    private static Reply reply(EmbeddedChannel c) {
        DatagramPacket out = c.readOutbound();
        assertNotNull(out, "a reply was sent");
        try {
            int length = out.content().readableBytes();
            return new Reply(DhcpCodec.decode(out.content()), out.recipient(), length);
        } finally {
            assertTrue(out.release());
            assertEquals(0, out.refCnt());
            assertNull(c.readOutbound(), "one reply only");
        }
    }

    private Reply exchange(DhcpMessage request) {
        receive(channel, datagram(request, FROM_UNCONFIGURED));
        return reply(channel);
    }

    private static DhcpMessage message(int type, Inet4Address ciaddr, Inet4Address giaddr, int flags, DhcpOptions.Builder o) {
        return message(MAC, type, ciaddr, giaddr, flags, o);
    }

    private static DhcpMessage message(String mac, int type, Inet4Address ciaddr, Inet4Address giaddr, int flags, DhcpOptions.Builder o) {
        byte[] chaddr = new byte[16];
        System.arraycopy(MacAddress.parse(mac).toBytes(), 0, chaddr, 0, 6);
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 6, giaddr.isAnyLocalAddress() ? 0 : 1, 0x5eed, 0, flags, ciaddr, ANY, ANY,
                giaddr, chaddr, "", "", o.u8(DhcpOptions.MESSAGE_TYPE, type).build());
    }

    // ---- answers -----------------------------------------------------------------------------

    @Test
    void aDiscoverFromAKnownMacGetsAnOfferByBroadcast() {
        DhcpMessage discover = request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient:Arch:00000:UNDI:002001"));
        Reply r = exchange(discover);

        assertEquals(new InetSocketAddress(BROADCAST, CLIENT_PORT), r.to(), "no address yet: limited broadcast to the client port");
        DhcpMessage offer = r.message();
        assertEquals(DhcpMessage.BOOTREPLY, offer.op());
        assertEquals(DhcpMessage.OFFER, offer.messageType().orElseThrow());
        assertEquals(discover.xid(), offer.xid());
        assertArrayEquals(discover.chaddr(), offer.chaddr());
        assertEquals(RESERVED, offer.yiaddr());
        assertEquals(SERVER, offer.options().address(DhcpOptions.SERVER_ID).orElseThrow());
        assertEquals(SERVER, offer.siaddr(), "next-server");
        assertEquals("undionly.kpxe", offer.file());
        assertEquals(86400L, offer.options().u32(DhcpOptions.LEASE_TIME).orElseThrow());
        assertTrue(r.length() >= 300, "padded for BOOTP relays: " + r.length());

        assertEquals(1, handler.received.sum());
        assertEquals(1, handler.answered.sum());
        assertEquals(0, handler.ignored.sum());
        assertEquals(0, handler.malformed.sum());
        assertEquals(1, recorded.size(), "the exchange is recorded");
        assertEquals(discover, recorded.get(0).message());
        assertEquals(hw.id(), recorded.get(0).hardware().orElseThrow().id());
    }

    @ParameterizedTest(name = "architecture {0}: {1}")
    @CsvSource({
            "0, undionly.kpxe",    // BIOS
            "7, ipxe.efi",         // EFI x86-64
            "9, ipxe.efi",         // EFI x86-64 (as some firmware says it)
            "11, snp-arm64.efi",   // EFI ARM 64
            "99, ''"})             // nothing for it
    void theBootFileFollowsTheClientArchitecture(int arch, String file) {
        Reply r = exchange(request(MAC, DhcpMessage.DISCOVER, pxe(arch, "PXEClient:Arch:" + String.format("%05d", arch))));
        assertEquals(DhcpMessage.OFFER, r.message().messageType().orElseThrow());
        assertEquals(file, r.message().file());
        assertEquals(RESERVED, r.message().yiaddr());
    }

    @Test
    void aRequestForTheOfferGetsAnAck() {
        DhcpMessage request = request(MAC, DhcpMessage.REQUEST, pxe(7, "PXEClient:Arch:00007")
                .addresses(DhcpOptions.REQUESTED_IP, List.of(RESERVED))
                .addresses(DhcpOptions.SERVER_ID, List.of(SERVER)));
        Reply r = exchange(request);

        assertEquals(new InetSocketAddress(BROADCAST, CLIENT_PORT), r.to());
        assertEquals(DhcpMessage.ACK, r.message().messageType().orElseThrow());
        assertEquals(RESERVED, r.message().yiaddr());
        assertEquals("ipxe.efi", r.message().file());
        assertEquals(SERVER, r.message().options().address(DhcpOptions.SERVER_ID).orElseThrow());
        assertEquals(DhcpMessage.REQUEST, recorded.get(0).message().messageType().orElseThrow());
    }

    @Test
    void aRenewingClientIsAnsweredAtItsOwnAddress() {
        Reply r = exchange(message(DhcpMessage.REQUEST, RESERVED, ANY, 0, DhcpOptions.builder()));
        assertEquals(new InetSocketAddress(RESERVED, CLIENT_PORT), r.to(), "RFC 2131 4.1: unicast to ciaddr");
        assertEquals(DhcpMessage.ACK, r.message().messageType().orElseThrow());
        assertEquals(RESERVED, r.message().yiaddr());
    }

    @Test
    void aNakIsBroadcastEvenToAClientWithAnAddress() {
        Inet4Address wrong = ipv4("10.250.0.99");
        Reply r = exchange(message(DhcpMessage.REQUEST, wrong, ANY, 0, DhcpOptions.builder()));
        assertEquals(new InetSocketAddress(BROADCAST, CLIENT_PORT), r.to(), "its address is not valid: it would not hear a unicast");
        assertEquals(DhcpMessage.NAK, r.message().messageType().orElseThrow());
        assertEquals(ANY, r.message().yiaddr());
    }

    @Test
    void aRelayedRequestIsAnsweredToTheRelay() {
        Inet4Address relay = ipv4("10.250.0.1"); // the router of the machine's subnet
        Reply r = exchange(message(DhcpMessage.DISCOVER, ANY, relay, DhcpMessage.FLAG_BROADCAST, DhcpOptions.builder()));
        assertEquals(new InetSocketAddress(relay, SERVER_PORT), r.to(), "the relay's server port");
        assertEquals(relay, r.message().giaddr());
        assertEquals(DhcpMessage.OFFER, r.message().messageType().orElseThrow());
    }

    @Test
    void aRelayedNakHasTheBroadcastBitSoTheRelayBroadcastsIt() {
        Inet4Address relay = ipv4("10.250.0.1");
        Reply r = exchange(message(DhcpMessage.REQUEST, ANY, relay, 0, DhcpOptions.builder()
                .addresses(DhcpOptions.REQUESTED_IP, List.of(ipv4("10.250.0.99")))));
        assertEquals(new InetSocketAddress(relay, SERVER_PORT), r.to());
        assertEquals(DhcpMessage.NAK, r.message().messageType().orElseThrow());
        assertTrue(r.message().broadcast(), "RFC 2131 4.3.2: the NAK's broadcast bit is set when giaddr is");
        Reply direct = exchange(message(DhcpMessage.REQUEST, ANY, ANY, 0, DhcpOptions.builder()
                .addresses(DhcpOptions.REQUESTED_IP, List.of(ipv4("10.250.0.99")))));
        assertFalse(direct.message().broadcast(), "not relayed: the client's flags as they were");
    }

    @Test
    void broadcastsLeaveThroughTheInterfaceChannelAndUnicastsDoNot() throws Exception {
        EmbeddedChannel iface = channel(handler(false, false, (m, h) -> { }));
        handler.broadcastVia(iface);

        receive(channel, datagram(request(MAC, DhcpMessage.DISCOVER, null), FROM_UNCONFIGURED));
        assertNull(channel.readOutbound(), "not through the wildcard socket");
        Reply broadcast = reply(iface);
        assertEquals(new InetSocketAddress(BROADCAST, CLIENT_PORT), broadcast.to());
        assertEquals(DhcpMessage.OFFER, broadcast.message().messageType().orElseThrow());

        receive(channel, datagram(message(DhcpMessage.REQUEST, RESERVED, ANY, 0, DhcpOptions.builder()),
                new InetSocketAddress(RESERVED, CLIENT_PORT)));
        assertNull(iface.readOutbound());
        assertEquals(new InetSocketAddress(RESERVED, CLIENT_PORT), reply(channel).to());
    }

    @Test
    void theBootServerPortAnswersWhereTheRequestCameFrom() throws Exception {
        DhcpHandler boot = handler(true, true, (m, h) -> recorded.add(new Recorded(m, h)));
        EmbeddedChannel c = channel(boot);
        InetSocketAddress client = new InetSocketAddress(ipv4("192.168.1.50"), 4011);

        receive(c, datagram(request(MAC, DhcpMessage.REQUEST, pxe(0, "PXEClient:Arch:00000")), client));
        Reply r = reply(c);

        assertEquals(client, r.to());
        assertEquals(DhcpMessage.ACK, r.message().messageType().orElseThrow());
        assertEquals(ANY, r.message().yiaddr(), "proxy mode gives no address");
        assertEquals("undionly.kpxe", r.message().file());
        assertEquals(1, boot.answered.sum());
    }

    // ---- relays and rates --------------------------------------------------------------------

    /** The lines of WARN and above the handler logs while {@code body} runs. */
    private static List<ILoggingEvent> logged(Runnable body) {
        Logger log = (Logger) LoggerFactory.getLogger(DhcpHandler.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        log.setLevel(ch.qos.logback.classic.Level.WARN);
        log.setAdditive(false);
        try {
            body.run();
        } finally {
            log.detachAppender(lines);
            log.setLevel(null);
            log.setAdditive(true);
        }
        return lines.list;
    }

    @Test
    void aForgedRelayAddressGetsNoAnswerAndAFloodOfThemOneLogLine() throws Exception {
        Inet4Address victim = ipv4("203.0.113.9");
        List<ILoggingEvent> lines = logged(() -> {
            for (int i = 0; i < 1000; i++) {
                receive(channel, datagram(message(DhcpMessage.DISCOVER, ANY, victim, DhcpMessage.FLAG_BROADCAST, DhcpOptions.builder()),
                        new InetSocketAddress(victim, SERVER_PORT)));
                assertNull(channel.readOutbound(), "nothing reflected to " + victim);
            }
        });
        assertEquals(1000, handler.relayRefused.sum());
        assertEquals(0, handler.answered.sum());
        assertEquals(0, handler.ignored.sum(), "refused, not merely unanswered");
        assertEquals(List.of(), recorded, "a forged request is not recorded");
        assertEquals(1, lines.size(), "one line for the flood, not one per packet: " + lines);
        assertEquals("DHCP: request for 52:54:00:12:34:56 relayed by 203.0.113.9 not answered: neither in the subnet of the machine's "
                + "reservation nor on this server's links; list it in dhcp.relays", lines.get(0).getFormattedMessage());

        // the relay of the machine's own subnet (10.250.0.0/24) is answered
        Reply r = exchange(message(DhcpMessage.DISCOVER, ANY, ipv4("10.250.0.254"), 0, DhcpOptions.builder()));
        assertEquals(new InetSocketAddress(ipv4("10.250.0.254"), SERVER_PORT), r.to());
        // and the proxy port answers where the request came from, whatever its giaddr
        DhcpHandler boot = handler(true, true, (m, h) -> { });
        EmbeddedChannel c = channel(boot);
        InetSocketAddress client = new InetSocketAddress(ipv4("10.250.0.10"), 4011);
        receive(c, datagram(message(DhcpMessage.REQUEST, ANY, victim, 0, pxe(0, "PXEClient:Arch:00000")), client));
        assertEquals(client, reply(c).to());
    }

    @Test
    void dhcpRelaysListsTheOnlyRelaysAnswered() throws Exception {
        EmbeddedChannel c = channel(handler(false, false, (m, h) -> { },
                new RelayPolicy(Subnet.parseList("192.0.2.0/24, 198.51.100.7"), () -> List.of(Subnet.parse("10.250.0.0/16"))),
                new RateLimit<>(10, 50, 1000, () -> now)));
        for (String relay : List.of("192.0.2.200", "198.51.100.7")) {
            receive(c, datagram(message(DhcpMessage.DISCOVER, ANY, ipv4(relay), 0, DhcpOptions.builder()), FROM_UNCONFIGURED));
            assertEquals(new InetSocketAddress(ipv4(relay), SERVER_PORT), reply(c).to());
        }
        for (String relay : List.of("198.51.100.8", "10.250.0.1")) { // the list wins over the reservation's subnet and the server's links
            receive(c, datagram(message(DhcpMessage.DISCOVER, ANY, ipv4(relay), 0, DhcpOptions.builder()), FROM_UNCONFIGURED));
            assertNull(c.readOutbound(), relay);
        }
    }

    @Test
    void aRelayOnOneOfTheServersLinksIsAnswered() throws Exception {
        EmbeddedChannel c = channel(handler(false, false, (m, h) -> { },
                new RelayPolicy(List.of(), () -> List.of(Subnet.parse("10.231.1.0/30"))), new RateLimit<>(10, 50, 1000, () -> now)));
        receive(c, datagram(message(DhcpMessage.DISCOVER, ANY, ipv4("10.231.1.1"), 0, DhcpOptions.builder()), FROM_UNCONFIGURED));
        assertEquals(new InetSocketAddress(ipv4("10.231.1.1"), SERVER_PORT), reply(c).to());
        receive(c, datagram(message(DhcpMessage.DISCOVER, ANY, ipv4("10.231.1.5"), 0, DhcpOptions.builder()), FROM_UNCONFIGURED));
        assertNull(c.readOutbound(), "outside the link's /30");
    }

    @Test
    void answersToOneMacBeyondItsRateAreDroppedAndCounted() throws Exception {
        DhcpHandler h = handler(false, false, (m, found) -> { }, new RelayPolicy(List.of(), List::of),
                new RateLimit<>(2, 5, 1000, () -> now));
        EmbeddedChannel c = channel(h);
        Runnable discover = () -> receive(c, datagram(request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")), FROM_UNCONFIGURED));
        List<ILoggingEvent> lines = logged(() -> {
            for (int i = 0; i < 5; i++) {
                discover.run();
                assertEquals(DhcpMessage.OFFER, reply(c).message().messageType().orElseThrow(), "within the burst: " + i);
            }
            for (int i = 0; i < 100; i++) {
                discover.run();
                assertNull(c.readOutbound(), "over the rate");
            }
        });
        assertEquals(5, h.answered.sum());
        assertEquals(100, h.rateLimited.sum());
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("DHCP: answer to 52:54:00:12:34:56 dropped: over dhcp.ratePerMac", lines.get(0).getFormattedMessage());

        // another MAC has its own allowance (the sample's second interface has a reservation too)
        receive(c, datagram(request("52:54:00:12:34:57", DhcpMessage.DISCOVER, null), FROM_UNCONFIGURED));
        assertEquals(DhcpMessage.OFFER, reply(c).message().messageType().orElseThrow());

        now += 499_000_000L; // 2 a second: one more after half a second, not before
        discover.run();
        assertNull(c.readOutbound());
        now += 1_000_000L;
        discover.run();
        assertEquals(DhcpMessage.OFFER, reply(c).message().messageType().orElseThrow());
        discover.run();
        assertNull(c.readOutbound());
        assertEquals(102, h.rateLimited.sum());
    }

    // ---- silence -----------------------------------------------------------------------------

    @Test
    void anUnknownMacGetsNoReply() {
        receive(channel, datagram(request(UNKNOWN_MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")), FROM_UNCONFIGURED));
        assertNull(channel.readOutbound());
        assertEquals(1, handler.received.sum());
        assertEquals(1, handler.ignored.sum());
        assertEquals(0, handler.answered.sum());
        assertEquals(List.of(), recorded, "nothing to record for a stranger");
    }

    @Test
    void withoutAHardwareLookupNothingIsAnswered() {
        lookup = null; // the store is not running
        receive(channel, datagram(request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")), FROM_UNCONFIGURED));
        assertNull(channel.readOutbound());
        assertEquals(1, handler.ignored.sum());
        assertEquals(List.of(), recorded);
    }

    @Test
    void aKnownMachineIsRecordedEvenWhenNotAnswered() {
        receive(channel, datagram(request(MAC, DhcpMessage.RELEASE, null), FROM_UNCONFIGURED));
        assertNull(channel.readOutbound(), "RELEASE is not answered");
        assertEquals(1, handler.ignored.sum());
        assertEquals(1, recorded.size());
        assertEquals(DhcpMessage.RELEASE, recorded.get(0).message().messageType().orElseThrow());
    }

    @Test
    void malformedDatagramsAreDroppedAndTheNextOneIsAnswered() {
        byte[] good = bytes(request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")));
        byte[] truncated = Arrays.copyOf(good, 100);
        byte[] noCookie = good.clone();
        noCookie[236] = 0;
        byte[] badOp = good.clone();
        badOp[0] = 3;
        byte[] overrun = Arrays.copyOf(good, 240 + 3 + 2);
        overrun[240 + 3] = 60; // vendor class
        overrun[240 + 4] = 50; // claims 50 bytes, none follow
        List<byte[]> bad = List.of(new byte[0], truncated, noCookie, badOp, overrun);
        for (byte[] b : bad) {
            receive(channel, datagram(b));
            assertNull(channel.readOutbound());
        }
        assertEquals(bad.size(), handler.malformed.sum());
        assertEquals(0, handler.ignored.sum(), "malformed, not merely unanswered");
        assertEquals(List.of(), recorded);

        receive(channel, datagram(good));
        assertEquals(DhcpMessage.OFFER, reply(channel).message().messageType().orElseThrow());
        assertEquals(bad.size() + 1, handler.received.sum());
    }

    @Test
    void aFailingRecorderNeitherLosesTheReplyNorClosesTheChannel() throws Exception {
        DhcpHandler h = handler(false, false, (m, found) -> {
            throw new IllegalStateException("lease store gone");
        });
        EmbeddedChannel c = channel(h);
        for (int i = 0; i < 2; i++) {
            receive(c, datagram(request(MAC, DhcpMessage.DISCOVER, pxe(0, "PXEClient")), FROM_UNCONFIGURED));
            assertEquals(DhcpMessage.OFFER, reply(c).message().messageType().orElseThrow());
        }
        c.checkException(); // handled by the handler, not left for the pipeline's end
        assertEquals(2, h.answered.sum());
    }
}
