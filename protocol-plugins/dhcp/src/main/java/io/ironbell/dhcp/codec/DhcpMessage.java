package io.ironbell.dhcp.codec;

import io.ironbell.api.hardware.MacAddress;
import java.net.Inet4Address;
import java.util.Arrays;
import java.util.Optional;

/**
 * One DHCP message (RFC 2131 §2): the fixed BOOTP header and the options.
 *
 * @param op      1 request, 2 reply
 * @param htype   hardware type, 1 for Ethernet
 * @param hlen    hardware address length, 6 for Ethernet
 * @param hops    relay hops
 * @param xid     transaction id
 * @param secs    seconds since the client began
 * @param flags   bit 15: broadcast
 * @param ciaddr  client address (bound clients)
 * @param yiaddr  "your" address: the one offered
 * @param siaddr  next server (TFTP)
 * @param giaddr  relay agent address, 0.0.0.0 when not relayed
 * @param chaddr  client hardware address, 16 bytes
 * @param sname   server host name (up to 63 characters)
 * @param file    boot file name (up to 127 characters)
 * @param options the options
 */
public record DhcpMessage(int op, int htype, int hlen, int hops, int xid, int secs, int flags,
                          Inet4Address ciaddr, Inet4Address yiaddr, Inet4Address siaddr, Inet4Address giaddr,
                          byte[] chaddr, String sname, String file, DhcpOptions options) {

    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    public static final int FLAG_BROADCAST = 0x8000;

    public static final int DISCOVER = 1;
    public static final int OFFER = 2;
    public static final int REQUEST = 3;
    public static final int DECLINE = 4;
    public static final int ACK = 5;
    public static final int NAK = 6;
    public static final int RELEASE = 7;
    public static final int INFORM = 8;

    public DhcpMessage {
        if (chaddr == null || chaddr.length != 16) {
            throw new IllegalArgumentException("chaddr must be 16 bytes");
        }
        chaddr = chaddr.clone();
        sname = sname == null ? "" : sname;
        file = file == null ? "" : file;
        if (sname.length() > 63 || file.length() > 127) {
            throw new IllegalArgumentException("sname is at most 63 characters and file at most 127");
        }
    }

    @Override
    public byte[] chaddr() {
        return chaddr.clone();
    }

    /** Option 53, or empty for a BOOTP message. */
    public Optional<Integer> messageType() {
        return options.u8(DhcpOptions.MESSAGE_TYPE);
    }

    /** The client's MAC address, for Ethernet (htype 1, hlen 6). */
    public Optional<MacAddress> clientMac() {
        return htype == 1 && hlen == 6 ? Optional.of(MacAddress.of(chaddr, 0)) : Optional.empty();
    }

    /** Whether the client asked for broadcast replies. */
    public boolean broadcast() {
        return (flags & FLAG_BROADCAST) != 0;
    }

    /** Whether a relay agent forwarded the message. */
    public boolean relayed() {
        return !giaddr.isAnyLocalAddress();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DhcpMessage m && op == m.op && htype == m.htype && hlen == m.hlen && hops == m.hops && xid == m.xid
                && secs == m.secs && flags == m.flags && ciaddr.equals(m.ciaddr) && yiaddr.equals(m.yiaddr)
                && siaddr.equals(m.siaddr) && giaddr.equals(m.giaddr) && Arrays.equals(chaddr, m.chaddr) && sname.equals(m.sname)
                && file.equals(m.file) && options.equals(m.options);
    }

    @Override
    public int hashCode() {
        return xid * 31 + Arrays.hashCode(chaddr);
    }

    @Override
    public String toString() {
        return "DhcpMessage[op=" + op + ", type=" + messageType().orElse(0) + ", xid=" + Integer.toHexString(xid) + ", chaddr="
                + clientMac().map(MacAddress::toString).orElse("?") + ", giaddr=" + giaddr.getHostAddress() + ", options=" + options + "]";
    }
}
