package io.ironbell.dhcp.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.dhcp.codec.DhcpCodec;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpProtocolException;
import io.ironbell.protocol.support.RateLimit;
import io.ironbell.protocol.support.Tally;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers each datagram from memory: decode, look the MAC up, build the reply, send it where
 * RFC 2131 §4.1 says (the relay agent, the client's own address when it has one, else
 * broadcast). The exchange is recorded afterwards, off the reply path. A malformed datagram
 * is counted, logged at most once a second, and dropped. A relayed request whose relay
 * ({@code giaddr}) the {@link RelayPolicy} does not allow, and answers to a MAC beyond its rate
 * ({@code dhcp.ratePerMac}), are dropped silently, counted, and logged once per 10 s at most.
 */
@Sharable
final class DhcpHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final Logger LOG = LoggerFactory.getLogger(DhcpHandler.class);

    private final Supplier<HardwareLookup> lookup;
    private final DhcpResponder responder;
    private final int serverPort;
    private final int clientPort;
    private static final InetAddress LIMITED_BROADCAST = DhcpResponder.ipv4("255.255.255.255");
    private volatile Channel broadcastOut;
    private final BiConsumer<DhcpMessage, Optional<Hardware>> recorder;
    private final boolean bootServerPort;
    private final AtomicLong lastMalformedLog = new AtomicLong();
    private final RelayPolicy relays;
    private final RateLimit<MacAddress> perMac;
    private final Pools pools;
    final LongAdder received = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder ignored = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final Tally relayRefused = new Tally(Duration.ofSeconds(10));
    final Tally rateLimited = new Tally(Duration.ofSeconds(10));

    /**
     * @param bootServerPort whether this handler serves the PXE boot-server port (4011), whose
     *                  requests are answered at their source
     * @param relays    which relay agents get answers
     * @param perMac    answers per MAC, shared by the handlers of one server
     */
    DhcpHandler(Supplier<HardwareLookup> lookup, DhcpResponder responder, int serverPort, int clientPort,
                BiConsumer<DhcpMessage, Optional<Hardware>> recorder, boolean bootServerPort, RelayPolicy relays,
                RateLimit<MacAddress> perMac) {
        this(lookup, responder, serverPort, clientPort, recorder, bootServerPort, relays, perMac, null);
    }

    /** @param pools addresses for MACs no reservation names; {@code null}: none (proxy mode, the boot-server port) */
    DhcpHandler(Supplier<HardwareLookup> lookup, DhcpResponder responder, int serverPort, int clientPort,
                BiConsumer<DhcpMessage, Optional<Hardware>> recorder, boolean bootServerPort, RelayPolicy relays,
                RateLimit<MacAddress> perMac, Pools pools) {
        this.pools = pools;
        this.bootServerPort = bootServerPort;
        this.lookup = lookup;
        this.responder = responder;
        this.serverPort = serverPort;
        this.clientPort = clientPort;
        this.recorder = recorder;
        this.relays = relays;
        this.perMac = perMac;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        received.increment();
        DhcpMessage request;
        try {
            request = DhcpCodec.decode(packet.content());
        } catch (DhcpProtocolException e) {
            malformed.increment();
            long now = System.nanoTime();
            long last = lastMalformedLog.get();
            if (now - last > 1_000_000_000L && lastMalformedLog.compareAndSet(last, now)) {
                LOG.warn("malformed DHCP datagram from {} dropped: {} ({} so far)", packet.sender(), e.getMessage(), malformed.sum());
            }
            return;
        }
        HardwareLookup l = lookup.get();
        Optional<Hardware> hw = l == null ? Optional.empty() : request.clientMac().flatMap(l::byMac);
        if (pools != null && request.op() == DhcpMessage.BOOTREQUEST && Pools.unreserved(request, hw)) {
            Optional<Pools.Entry> pool = pools.select(request);
            if (pool.isPresent()) {
                if (overRate(request)) {
                    return;
                }
                Channel channel = ctx.channel();
                // the pool's answer comes from the database, off this event loop
                if (!pools.submit(request, hw, pool.get(), reply -> send(channel, packet, request, reply))) {
                    ignored.increment();
                }
                if (hw.isPresent()) {
                    // a machine no record names has its lease in its pool, and nothing else to record: its
                    // exchange is not written twice (the lease record would hold no address and no hardware)
                    recorder.accept(request, hw);
                }
                return;
            }
        }
        Optional<DhcpMessage> reply = responder.respond(request, hw, bootServerPort);
        if (reply.isEmpty()) {
            ignored.increment();
            LOG.debug("no answer to {} from {}", request, packet.sender());
        } else if (!bootServerPort && request.relayed() && !relays.allows(request.giaddr(), nic(hw, request))) {
            long held = relayRefused.add();
            if (held >= 0) {
                LOG.warn("DHCP: request for {} relayed by {} not answered: {}{}", request.clientMac().orElseThrow(),
                        request.giaddr().getHostAddress(), relays.configured() ? "not in dhcp.relays"
                                : "neither in the subnet of the machine's reservation nor on this server's links; list it in dhcp.relays",
                        Tally.more(held));
            }
            return; // not recorded either: anyone may have sent it
        } else if (!overRate(request)) {
            send(ctx.channel(), packet, request, reply.get());
        }
        if (hw.isPresent() || reply.isPresent()) {
            recorder.accept(request, hw);
        }
    }

    private boolean overRate(DhcpMessage request) {
        if (perMac.take(request.clientMac().orElseThrow()) <= 0) {
            return false;
        }
        long held = rateLimited.add();
        if (held >= 0) {
            LOG.warn("DHCP: answer to {} dropped: over dhcp.ratePerMac{}", request.clientMac().orElseThrow(), Tally.more(held));
        }
        return true;
    }

    /** Sends a reply where RFC 2131 says; Netty takes writes from any thread. */
    private void send(Channel channel, DatagramPacket packet, DhcpMessage request, DhcpMessage reply) {
        ByteBuf out = channel.alloc().buffer(576);
        try {
            DhcpCodec.encode(reply, out);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        InetSocketAddress to = bootServerPort ? packet.sender() : destination(request, reply);
        Channel via = broadcastOut;
        (to.getAddress().equals(LIMITED_BROADCAST) && via != null ? via : channel)
                .writeAndFlush(new DatagramPacket(out, to)).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.warn("DHCP reply to {} not sent: {}", to, f.cause().toString());
            }
        });
        answered.increment();
        LOG.debug("{} to {} answered with {} to {}", request, packet.sender(), reply, to);
    }

    private static HardwareInterface nic(Optional<Hardware> hw, DhcpMessage request) {
        return hw.flatMap(h -> request.clientMac().flatMap(h::interfaceByMac)).orElse(null);
    }

    /**
     * Broadcast replies leave by this channel, bound to the served interface's address: Linux
     * sends a limited broadcast out of the interface that owns the sending socket's address.
     * (A subnet-directed broadcast would also pick the interface, but a client without an
     * address yet, such as OVMF's PXE, does not take it for its own.)
     */
    void broadcastVia(Channel channel) {
        this.broadcastOut = channel;
    }

    /** RFC 2131 §4.1: relay agent, then the client's address, then broadcast. */
    InetSocketAddress destination(DhcpMessage request, DhcpMessage reply) {
        if (request.relayed()) {
            return new InetSocketAddress(request.giaddr(), serverPort);
        }
        if (!request.ciaddr().isAnyLocalAddress() && reply.messageType().orElse(0) != DhcpMessage.NAK) {
            return new InetSocketAddress(request.ciaddr(), clientPort);
        }
        return new InetSocketAddress(LIMITED_BROADCAST, clientPort);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Never let one bad exchange close the listener.
        LOG.warn("DHCP exchange failed", cause);
    }
}
