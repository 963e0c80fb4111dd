package io.ironbell.dhcp.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.Lease;
import io.ironbell.api.hardware.LeaseStore;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;

import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DHCP server: a Netty UDP listener that answers known MACs from memory, with their reserved
 * address (reservation mode) or with boot options only, on the DHCP and the PXE boot-server
 * ports, beside a DHCP server that gives the addresses (proxy mode).
 * Switched on by {@code dhcp.enabled}. A server that cannot listen (an interface that does not
 * exist, a port in use) stays up and says why on {@code /readyz}. Its typed configuration merges two
 * PIDs (server.* and dhcp.*), so it has no single metatype designation.
 */
@Component(configurationPid = {DhcpServer.SERVER_PID, DhcpServer.PID}, service = {ReadinessCheck.class, MetricSet.class},
        property = ReadinessCheck.NAME + "=dhcp")

public final class DhcpServer implements ReadinessCheck, MetricSet {

    static final String SERVER_PID = "io.ironbell.server";
    static final String PID = "io.ironbell.dhcp";

    private static final Logger LOG = LoggerFactory.getLogger(DhcpServer.class);

    @ObjectClassDefinition(name = "Ironbell DHCP", description = "dhcp.* keys, and server.address")
    public @interface Config {
        @AttributeDefinition(description = "whether the DHCP server runs")
        boolean enabled() default false;

        @AttributeDefinition(description = "interface whose address is the default server.address; empty: any")
        String interface$() default "";

        @AttributeDefinition(description = "reservation (answer known MACs with their address) or proxy (boot options only, "
                + "beside another DHCP server)")
        String mode() default "reservation";

        @AttributeDefinition(description = "UDP port to listen on")
        int port() default 67;

        @AttributeDefinition(description = "UDP port of the PXE boot server, proxy mode only")
        int proxyPort() default 4011;

        @AttributeDefinition(description = "address to listen on; 0.0.0.0 also hears broadcasts, another address only relayed "
                + "and unicast requests")
        String listen() default "0.0.0.0";

        @AttributeDefinition(description = "UDP port replies go to (68 for real clients)")
        int clientPort() default 68;

        @AttributeDefinition(description = "server.address: the IPv4 address machines reach Ironbell at")
        String address() default "";
    }

    private final Config config;
    private final HttpEndpoint http;
    private volatile HardwareLookup lookup;
    private volatile LeaseStore leases;
    private final EventLoopGroup group;
    private final ThreadPoolExecutor recorder;
    private final List<Channel> channels = new ArrayList<>();
    private DhcpHandler handler;
    private DhcpHandler bootHandler;
    private volatile String problem;

    @Activate
    public DhcpServer(Config config, @Reference HttpEndpoint http) {
        this.config = config;
        this.http = http;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ironbell-dhcp", true), NioIoHandler.newFactory());
        this.recorder = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000),
                new DefaultThreadFactory("ironbell-dhcp-leases", true), new ThreadPoolExecutor.DiscardOldestPolicy());
        if (!config.enabled()) {
            LOG.info("DHCP is off (dhcp.enabled=false)");
            return;
        }
        try {
            start();
        } catch (IllegalStateException e) {
            problem = e.getMessage();
            LOG.error("DHCP not started: {}", problem);
        }
    }

    private void start() {
        boolean proxy = switch (config.mode()) {
            case "reservation" -> false;
            case "proxy" -> true;
            default -> throw new IllegalStateException("dhcp.mode must be reservation or proxy, was '" + config.mode() + "'");
        };
        Inet4Address listen = DhcpResponder.ipv4(config.listen().trim());
        if (listen == null) {
            throw new IllegalStateException("dhcp.listen must be an IPv4 address, was '" + config.listen() + "'");
        }
        Inet4Address server = serverAddress();
        DhcpResponder responder = new DhcpResponder(new DhcpResponder.Settings(server, http.url(server.getHostAddress(), ""), proxy));
        InetAddress broadcast = broadcastAddress();
        handler = new DhcpHandler(() -> lookup, responder, config.port(), config.clientPort(), broadcast, this::record, false);
        channels.add(bind(listen, config.port(), handler));
        if (proxy) {
            bootHandler = new DhcpHandler(() -> lookup, responder, config.port(), config.clientPort(), broadcast, this::record, true);
            channels.add(bind(listen, config.proxyPort(), bootHandler));
        }
        LOG.info("started: DHCP ({}) on UDP {}{} as {}", config.mode(), config.port(), proxy ? " and " + config.proxyPort() : "",
                server.getHostAddress());
    }

    private Channel bind(Inet4Address address, int port, DhcpHandler h) {
        try {
            // IPv4 only: broadcasts from a dual-stack socket do not leave
            return new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
                    .option(ChannelOption.SO_BROADCAST, true)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(h)
                    .bind(new InetSocketAddress(address, port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            closeChannels();
            throw new IllegalStateException("cannot listen on UDP " + address.getHostAddress() + ":" + port + ": " + e.getMessage());
        }
    }

    /** server.address, else the first IPv4 address of dhcp.interface. */
    private Inet4Address serverAddress() {
        String name = config.interface$();
        if (!name.isBlank()) {
            try {
                NetworkInterface nic = NetworkInterface.getByName(name);
                if (nic == null) {
                    throw new IllegalStateException("interface " + name + " (dhcp.interface) does not exist");
                }
                if (config.address().isBlank()) {
                    for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                        if (a instanceof Inet4Address v4) {
                            return v4;
                        }
                    }
                    throw new IllegalStateException("interface " + name + " has no IPv4 address; set server.address");
                }
            } catch (SocketException e) {
                throw new IllegalStateException("cannot read interface " + name + ": " + e.getMessage());
            }
        }
        Inet4Address a = DhcpResponder.ipv4(config.address().trim());
        if (a == null) {
            throw new IllegalStateException("server.address must be an IPv4 address (or set dhcp.interface), was '" + config.address() + "'");
        }
        return a;
    }

    /** The served interface's broadcast address, so replies leave by it; else the limited broadcast. */
    private InetAddress broadcastAddress() {
        try {
            NetworkInterface nic = config.interface$().isBlank() ? null : NetworkInterface.getByName(config.interface$());
            if (nic != null) {
                for (java.net.InterfaceAddress a : nic.getInterfaceAddresses()) {
                    if (a.getAddress() instanceof Inet4Address v4) {
                        // computed from address and prefix: an address added without "brd" reports 0.0.0.0
                        int prefix = a.getNetworkPrefixLength();
                        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
                        byte[] b = v4.getAddress();
                        int ip = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
                        int bc = ip | ~mask;
                        return InetAddress.getByAddress(new byte[] {(byte) (bc >>> 24), (byte) (bc >>> 16), (byte) (bc >>> 8), (byte) bc});
                    }
                }
            }
            return InetAddress.getByName("255.255.255.255");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read interface " + config.interface$() + ": " + e.getMessage());
        }
    }

    /** Off the reply path: a full queue drops the oldest records, never a reply. */
    private void record(DhcpMessage m, Optional<Hardware> hw) {
        LeaseStore store = leases;
        if (store == null) {
            return;
        }
        recorder.execute(() -> {
            int type = m.messageType().orElse(0);
            Lease.State state = switch (type) {
                case DhcpMessage.REQUEST -> Lease.State.BOUND;
                case DhcpMessage.RELEASE -> Lease.State.RELEASED;
                case DhcpMessage.DECLINE -> Lease.State.DECLINED;
                default -> Lease.State.OFFERED;
            };
            String ip = hw.flatMap(h -> h.interfaceByMac(m.clientMac().orElseThrow()))
                    .map(i -> i.dhcp().ip() == null ? null : i.dhcp().ip().address()).orElse(null);
            try {
                store.record(new Lease(m.clientMac().orElseThrow(), ip, hw.map(Hardware::id).orElse(null), state, null,
                        Instant.now(), m.options().string(DhcpOptions.VENDOR_CLASS).orElse(null)));
            } catch (Exception e) {
                LOG.debug("lease of {} not recorded: {}", m.clientMac().orElse(null), e.getMessage());
            }
        });
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, cardinality = ReferenceCardinality.OPTIONAL)
    void setLookup(HardwareLookup l) {
        lookup = l;
    }

    void unsetLookup(HardwareLookup l) {
        if (lookup == l) {
            lookup = null;
        }
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, cardinality = ReferenceCardinality.OPTIONAL)
    void setLeases(LeaseStore s) {
        leases = s;
    }

    void unsetLeases(LeaseStore s) {
        if (leases == s) {
            leases = null;
        }
    }

    /** Closes the port before returning, so that an updated bundle can bind it at once. */
    @Deactivate
    void deactivate() {
        boolean running = !channels.isEmpty();
        closeChannels();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        recorder.shutdownNow();
        if (running) {
            LOG.info("stopped: DHCP on UDP {}", config.port());
        }
    }

    private void closeChannels() {
        for (Channel c : channels) {
            c.close().syncUninterruptibly();
        }
        channels.clear();
    }

    @Override
    public Readiness check() {
        if (problem != null) {
            return Readiness.down(problem);
        }
        if (config.enabled() && lookup == null) {
            return Readiness.down("no hardware lookup service (the store is not running)");
        }
        return Readiness.up();
    }

    @Override
    public void collect(MetricWriter w) {
        DhcpHandler h = handler;
        if (h == null) {
            return;
        }
        DhcpHandler b = bootHandler;
        w.counter("ironbell_dhcp_received_total", "DHCP datagrams received", h.received.sum() + (b == null ? 0 : b.received.sum()));
        w.counter("ironbell_dhcp_answered_total", "DHCP replies sent", h.answered.sum() + (b == null ? 0 : b.answered.sum()));
        w.counter("ironbell_dhcp_ignored_total", "DHCP requests not answered (unknown MAC, no reservation, not a netboot client in "
                + "proxy mode)", h.ignored.sum() + (b == null ? 0 : b.ignored.sum()));
        w.counter("ironbell_dhcp_malformed_total", "malformed DHCP datagrams dropped", h.malformed.sum() + (b == null ? 0 : b.malformed.sum()));
    }
}
