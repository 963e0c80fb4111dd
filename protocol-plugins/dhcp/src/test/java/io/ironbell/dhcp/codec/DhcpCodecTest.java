package io.ironbell.dhcp.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DhcpCodecTest {

    /** A PXE DISCOVER as a legacy BIOS ROM sends it, assembled byte by byte from RFC 2131/4578. */
    static byte[] pxeDiscover() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(1).writeByte(1).writeByte(6).writeByte(0);
        b.writeInt(0x2a3b4c5d);
        b.writeShort(4).writeShort(0x8000);
        b.writeZero(16); // ciaddr yiaddr siaddr giaddr
        b.writeBytes(new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}).writeZero(10);
        b.writeZero(64 + 128);
        b.writeInt(0x63825363);
        b.writeBytes(new byte[] {53, 1, 1});
        b.writeBytes(new byte[] {57, 2, 0x05, (byte) 0xC0});
        b.writeBytes(new byte[] {93, 2, 0, 0});
        b.writeBytes(new byte[] {94, 3, 1, 2, 1});
        byte[] uuid = new byte[17];
        uuid[1] = 0x11;
        b.writeByte(97).writeByte(17).writeBytes(uuid);
        byte[] vc = "PXEClient:Arch:00000:UNDI:002001".getBytes(StandardCharsets.US_ASCII);
        b.writeByte(60).writeByte(vc.length).writeBytes(vc);
        b.writeBytes(new byte[] {55, 8, 1, 3, 6, 12, 15, 43, 60, 66});
        b.writeByte(255);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    @Test
    void decodesAPxeDiscover() {
        ByteBuf in = Unpooled.wrappedBuffer(pxeDiscover());
        DhcpMessage m = DhcpCodec.decode(in);
        assertEquals(0, in.readableBytes(), "the whole datagram was consumed");
        assertEquals(1, in.refCnt(), "the codec does not release what it did not allocate");
        assertEquals(DhcpMessage.BOOTREQUEST, m.op());
        assertEquals(0x2a3b4c5d, m.xid());
        assertTrue(m.broadcast());
        assertTrue(!m.relayed());
        assertEquals(MacAddress.parse("52:54:00:12:34:56"), m.clientMac().orElseThrow());
        assertEquals(DhcpMessage.DISCOVER, m.messageType().orElseThrow());
        assertEquals("PXEClient:Arch:00000:UNDI:002001", m.options().string(DhcpOptions.VENDOR_CLASS).orElseThrow());
        assertEquals(0, m.options().u16(DhcpOptions.CLIENT_ARCH).orElseThrow());
        assertEquals(1472, m.options().u16(DhcpOptions.MAX_MESSAGE_SIZE).orElseThrow());
        assertEquals(17, m.options().bytes(DhcpOptions.CLIENT_UUID).orElseThrow().length);
        assertEquals(List.of(), m.options().userClasses());
        in.release();
    }

    @Test
    void anOfferRoundTrips() throws Exception {
        DhcpOptions options = DhcpOptions.builder()
                .u8(DhcpOptions.MESSAGE_TYPE, DhcpMessage.OFFER)
                .addresses(DhcpOptions.SERVER_ID, List.of(InetAddress.getByName("10.0.0.1")))
                .u32(DhcpOptions.LEASE_TIME, 86400)
                .addresses(DhcpOptions.SUBNET_MASK, List.of(InetAddress.getByName("255.255.255.0")))
                .addresses(DhcpOptions.DNS, List.of(InetAddress.getByName("1.1.1.1"), InetAddress.getByName("8.8.8.8")))
                .string(DhcpOptions.HOSTNAME, "node-1")
                .string(DhcpOptions.VENDOR_CLASS, "PXEClient")
                .build();
        DhcpMessage offer = new DhcpMessage(2, 1, 6, 0, 99, 0, 0, addr("0.0.0.0"), addr("10.0.0.5"), addr("10.0.0.1"),
                addr("0.0.0.0"), chaddr("52:54:00:12:34:56"), "", "undionly.kpxe", options);
        ByteBuf out = Unpooled.buffer();
        DhcpCodec.encode(offer, out);
        assertTrue(out.readableBytes() >= 300, "padded to the BOOTP minimum");
        assertEquals(DhcpOptions.MESSAGE_TYPE, out.getUnsignedByte(240), "the message type comes first");
        DhcpMessage back = DhcpCodec.decode(out);
        assertEquals(offer, back);
        assertEquals(List.of(addr("1.1.1.1"), addr("8.8.8.8")), back.options().addresses(DhcpOptions.DNS));
        assertEquals(86400L, back.options().u32(DhcpOptions.LEASE_TIME).orElseThrow());
        out.release();
    }

    @Test
    void longOptionsAreSplitAndJoined() {
        byte[] search = new byte[600];
        new Random(1).nextBytes(search);
        DhcpMessage m = new DhcpMessage(2, 1, 6, 0, 1, 0, 0, addr("0.0.0.0"), addr("10.0.0.5"), addr("0.0.0.0"), addr("0.0.0.0"),
                chaddr("52:54:00:12:34:56"), "", "", DhcpOptions.builder().u8(53, 5).put(DhcpOptions.DOMAIN_SEARCH, search).build());
        ByteBuf out = Unpooled.buffer();
        DhcpCodec.encode(m, out);
        DhcpMessage back = DhcpCodec.decode(out);
        assertArrayEquals(search, back.options().bytes(DhcpOptions.DOMAIN_SEARCH).orElseThrow());
        out.release();
    }

    @Test
    void overloadedFileAndSnameCarryOptions() {
        byte[] p = pxeDiscover();
        ByteBuf b = Unpooled.buffer().writeBytes(p, 0, 240);
        b.writeBytes(new byte[] {53, 1, 3, 52, 1, 1, (byte) 255});
        b.setBytes(108, new byte[] {12, 4, 'n', 'o', 'd', 'e', (byte) 255}); // hostname inside "file"
        DhcpMessage m = DhcpCodec.decode(b);
        assertEquals("node", m.options().string(DhcpOptions.HOSTNAME).orElseThrow());
        assertEquals("", m.file());
        b.release();
    }

    @Test
    void userClassInBothForms() {
        byte[] p = pxeDiscover();
        ByteBuf rfc = Unpooled.buffer().writeBytes(p, 0, 240).writeBytes(new byte[] {77, 5, 4, 'i', 'P', 'X', 'E', (byte) 255});
        assertEquals(List.of("iPXE"), DhcpCodec.decode(rfc).options().userClasses());
        ByteBuf plain = Unpooled.buffer().writeBytes(p, 0, 240).writeBytes(new byte[] {77, 4, 'i', 'P', 'X', 'E', (byte) 255});
        assertEquals(List.of("iPXE"), DhcpCodec.decode(plain).options().userClasses());
        rfc.release();
        plain.release();
    }

    @Test
    void malformedPacketsNameTheProblem() {
        byte[] p = pxeDiscover();
        assertTrue(message(new byte[10]).contains("truncated: 10 bytes"));
        byte[] badCookie = p.clone();
        badCookie[237] = 0;
        assertTrue(message(badCookie).contains("magic cookie"));
        byte[] badOp = p.clone();
        badOp[0] = 7;
        assertTrue(message(badOp).contains("op must be 1 or 2"));
        byte[] overrun = java.util.Arrays.copyOf(p, 245);
        overrun[243] = 60;
        overrun[244] = (byte) 200;
        assertTrue(message(java.util.Arrays.copyOf(overrun, 245)).contains("claims 200 bytes"), message(overrun));
    }

    /** Random, truncated, corrupted and oversized input: only DhcpProtocolException may come out. */
    @Test
    void fuzzedInputNeverThrowsAnythingElse() {
        Random r = new Random(20261122);
        byte[] good = pxeDiscover();
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] input;
            switch (i % 4) {
                case 0 -> {
                    input = new byte[r.nextInt(2000)];
                    r.nextBytes(input);
                    if (input.length > 240) {
                        input[236] = 0x63;
                        input[237] = (byte) 0x82;
                        input[238] = 0x53;
                        input[239] = 0x63;
                        input[0] = 1;
                    }
                }
                case 1 -> input = java.util.Arrays.copyOf(good, r.nextInt(good.length + 1));
                case 2 -> {
                    input = good.clone();
                    for (int k = 0; k < 1 + r.nextInt(8); k++) {
                        input[r.nextInt(input.length)] = (byte) r.nextInt(256);
                    }
                }
                default -> {
                    input = java.util.Arrays.copyOf(good, 65_507);
                    for (int k = good.length - 1; k < input.length; k += 1 + r.nextInt(300)) {
                        input[k] = (byte) r.nextInt(256);
                    }
                }
            }
            ByteBuf in = Unpooled.wrappedBuffer(input);
            try {
                DhcpCodec.decode(in);
                decoded++;
            } catch (DhcpProtocolException expected) {
                refused++;
            } finally {
                assertEquals(1, in.refCnt());
                in.release();
            }
        }
        System.out.println("fuzz: " + decoded + " decoded, " + refused + " refused, nothing else thrown");
        assertTrue(decoded > 1000 && refused > 1000, decoded + " / " + refused);
    }

    private static String message(byte[] packet) {
        ByteBuf in = Unpooled.wrappedBuffer(packet);
        try {
            return assertThrows(DhcpProtocolException.class, () -> DhcpCodec.decode(in)).getMessage();
        } finally {
            in.release();
        }
    }

    static Inet4Address addr(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static byte[] chaddr(String mac) {
        byte[] c = new byte[16];
        System.arraycopy(MacAddress.parse(mac).toBytes(), 0, c, 0, 6);
        return c;
    }
}
