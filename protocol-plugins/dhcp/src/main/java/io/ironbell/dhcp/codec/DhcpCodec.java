package io.ironbell.dhcp.codec;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Decodes and encodes DHCP messages (RFC 2131, options RFC 2132, long options RFC 3396,
 * overloaded sname/file RFC 2131 §4.1). Pure: no channel, no allocation of buffers it does not
 * return; the caller owns and releases every {@link ByteBuf}.
 */
public final class DhcpCodec {

    /** The fixed header before the magic cookie. */
    static final int HEADER = 236;
    /** The magic cookie 99.130.83.99. */
    static final int COOKIE = 0x63825363;
    /** Replies are padded to at least this size, as BOOTP relays and old clients expect. */
    static final int MIN_REPLY = 300;

    private DhcpCodec() {
    }

    /**
     * Decodes a datagram's payload.
     *
     * @throws DhcpProtocolException naming what is malformed; nothing else escapes
     */
    public static DhcpMessage decode(ByteBuf in) {
        int start = in.readerIndex();
        int length = in.readableBytes();
        if (length < HEADER + 4) {
            throw new DhcpProtocolException("truncated: " + length + " bytes, a DHCP message has at least " + (HEADER + 4));
        }
        int op = in.getUnsignedByte(start);
        if (op != DhcpMessage.BOOTREQUEST && op != DhcpMessage.BOOTREPLY) {
            throw new DhcpProtocolException("op must be 1 or 2, was " + op);
        }
        int htype = in.getUnsignedByte(start + 1);
        int hlen = in.getUnsignedByte(start + 2);
        if (hlen > 16) {
            throw new DhcpProtocolException("hlen must be at most 16, was " + hlen);
        }
        int hops = in.getUnsignedByte(start + 3);
        int xid = in.getInt(start + 4);
        int secs = in.getUnsignedShort(start + 8);
        int flags = in.getUnsignedShort(start + 10);
        Inet4Address ciaddr = address(in, start + 12);
        Inet4Address yiaddr = address(in, start + 16);
        Inet4Address siaddr = address(in, start + 20);
        Inet4Address giaddr = address(in, start + 24);
        byte[] chaddr = new byte[16];
        in.getBytes(start + 28, chaddr);
        if (in.getInt(start + HEADER) != COOKIE) {
            throw new DhcpProtocolException("no DHCP magic cookie at offset " + HEADER);
        }
        DhcpOptions.Builder options = DhcpOptions.builder();
        int overload = readOptions(in, start + HEADER + 4, start + length, options, "options");
        String sname;
        String file;
        if ((overload & 2) != 0) {
            readOptions(in, start + 44, start + 108, options, "sname");
            sname = "";
        } else {
            sname = text(in, start + 44, 64);
        }
        if ((overload & 1) != 0) {
            readOptions(in, start + 108, start + HEADER, options, "file");
            file = "";
        } else {
            file = text(in, start + 108, 128);
        }
        in.readerIndex(start + length);
        return new DhcpMessage(op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr,
                trim(sname, 63), trim(file, 127), options.build());
    }

    /** Reads TLV options in [from, to); returns the overload value (option 52), if any. */
    private static int readOptions(ByteBuf in, int from, int to, DhcpOptions.Builder options, String area) {
        int overload = 0;
        int i = from;
        while (i < to) {
            int code = in.getUnsignedByte(i);
            if (code == DhcpOptions.END) {
                return overload;
            }
            if (code == DhcpOptions.PAD) {
                i++;
                continue;
            }
            if (i + 1 >= to) {
                throw new DhcpProtocolException("option " + code + " in " + area + " has no length byte");
            }
            int len = in.getUnsignedByte(i + 1);
            if (i + 2 + len > to) {
                throw new DhcpProtocolException("option " + code + " in " + area + " claims " + len + " bytes; only "
                        + (to - i - 2) + " remain");
            }
            byte[] value = new byte[len];
            in.getBytes(i + 2, value);
            if (code == DhcpOptions.OVERLOAD && area.equals("options") && len == 1) {
                overload = value[0] & 3;
            }
            options.append(code, value);
            i += 2 + len;
        }
        return overload;
    }

    /** Encodes a message into {@code out}, padded to {@value #MIN_REPLY} bytes. */
    public static void encode(DhcpMessage m, ByteBuf out) {
        int start = out.writerIndex();
        out.writeByte(m.op());
        out.writeByte(m.htype());
        out.writeByte(m.hlen());
        out.writeByte(m.hops());
        out.writeInt(m.xid());
        out.writeShort(m.secs());
        out.writeShort(m.flags());
        out.writeBytes(m.ciaddr().getAddress());
        out.writeBytes(m.yiaddr().getAddress());
        out.writeBytes(m.siaddr().getAddress());
        out.writeBytes(m.giaddr().getAddress());
        out.writeBytes(m.chaddr());
        writeText(out, m.sname(), 64);
        writeText(out, m.file(), 128);
        out.writeInt(COOKIE);
        Map<Integer, byte[]> raw = m.options().raw();
        // the message type first: some PXE ROMs look for it there
        byte[] type = raw.get(DhcpOptions.MESSAGE_TYPE);
        if (type != null) {
            writeOption(out, DhcpOptions.MESSAGE_TYPE, type);
        }
        raw.forEach((code, value) -> {
            if (code != DhcpOptions.MESSAGE_TYPE) {
                writeOption(out, code, value);
            }
        });
        out.writeByte(DhcpOptions.END);
        while (out.writerIndex() - start < MIN_REPLY) {
            out.writeByte(DhcpOptions.PAD);
        }
    }

    /** Values longer than 255 bytes are split into consecutive options of the same code (RFC 3396). */
    private static void writeOption(ByteBuf out, int code, byte[] value) {
        int i = 0;
        do {
            int n = Math.min(255, value.length - i);
            out.writeByte(code);
            out.writeByte(n);
            out.writeBytes(value, i, n);
            i += n;
        } while (i < value.length);
    }

    private static void writeText(ByteBuf out, String s, int size) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(b, 0, Math.min(b.length, size - 1));
        out.writeZero(size - Math.min(b.length, size - 1));
    }

    private static String text(ByteBuf in, int at, int size) {
        int n = 0;
        while (n < size && in.getByte(at + n) != 0) {
            n++;
        }
        return in.toString(at, n, StandardCharsets.ISO_8859_1);
    }

    private static String trim(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }

    private static Inet4Address address(ByteBuf in, int at) {
        byte[] a = new byte[4];
        in.getBytes(at, a);
        try {
            return (Inet4Address) InetAddress.getByAddress(a);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
