package io.ironbell.it;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/** DHCP requests built byte by byte, for tests that play a relay agent or a PXE client. */
final class DhcpPackets {

    static final int DISCOVER = 1;
    static final int REQUEST = 3;

    private DhcpPackets() {
    }

    /**
     * A BOOTREQUEST of this message type from {@code mac}, with the given client and relay
     * addresses (null: 0.0.0.0) and raw options after option 53, e.g. {@code {60, 9, 'P', ...}}.
     */
    static byte[] request(int type, int xid, String mac, InetAddress ciaddr, InetAddress giaddr, byte... options) {
        ByteBuffer b = ByteBuffer.allocate(300 + options.length);
        b.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) (giaddr == null ? 0 : 1)).putInt(xid).putShort((short) 0).putShort((short) 0);
        b.put(ciaddr == null ? new byte[4] : ciaddr.getAddress());
        b.position(24);
        b.put(giaddr == null ? new byte[4] : giaddr.getAddress());
        for (String octet : mac.split(":")) {
            b.put((byte) Integer.parseInt(octet, 16));
        }
        b.position(236);
        b.put(new byte[] {99, (byte) 130, 83, 99, 53, 1, (byte) type});
        b.put(options);
        b.put((byte) 255);
        return b.array();
    }

    /** Options 60 "PXEClient" and 93 (architecture 0, BIOS): what makes a netboot client. */
    static byte[] pxeClient() {
        byte[] vc = "PXEClient".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(2 + vc.length + 4);
        b.put((byte) 60).put((byte) vc.length).put(vc).put((byte) 93).put((byte) 2).putShort((short) 0);
        return b.array();
    }
}
