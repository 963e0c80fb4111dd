package io.ironbell.dhcp.internal;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.Lease;
import io.ironbell.api.hardware.LeaseStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import io.ironbell.protocol.support.RateLimit;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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

        @AttributeDefinition(description = "relay agents answered, by giaddr (IPv4 addresses and CIDR blocks, comma-separated); "
                + "empty: a giaddr in the subnet of the machine's reservation or of one of this server's interfaces")
        String relays() default "";

        @AttributeDefinition(description = "answers a second to one MAC once its burst is spent; beyond, requests are dropped; 0: no limit")
        int ratePerMac() default 10;

        @AttributeDefinition(description = "answers to one MAC at once before dhcp.ratePerMac applies")
        int burstPerMac() default 50;

        @AttributeDefinition(description = "address pools for MACs without a reservation, stored in the database every instance shares: "
                + "';'-separated, each 'name=N subnet=CIDR range=FIRST-LAST [router=IP] [dns=IP,IP] [lease=S] [offer=S] [relays=IP,IP]'; "
                + "pools made with 'ironbell pool create' serve as well")
        String pools() default "";

        @AttributeDefinition(description = "milliseconds a free pool address is pinged before it is offered (RFC 2131 2.2); 0: no probe")
        int probeMillis() default 300;

        @AttributeDefinition(description = "seconds an address a client declined (found in use) stays out of its pool")
        int declineSeconds() default 86400;

        @AttributeDefinition(description = "free pool addresses probed at once (dhcp.probeMillis); with the default 300 ms, 64 "
                + "probe some 200 new addresses a second")
        int probeThreads() default 64;
    }

    /** Most MACs whose answers are counted at once (known MACs, and those a pool answers). */
    static final int MAX_RATED_MACS = 100_000;

    private final Config config;
    private final HttpEndpoint http;
    private volatile HardwareLookup lookup;
    private volatile LeaseStore leases;
    private volatile AddressPools addressPools;
    private volatile DiscoveryService discovery;
    private volatile List<AddressPool> configuredPools = List.of();
    private volatile boolean poolsStored;
    private volatile Pools pools;
    private final EventLoopGroup group;
    private final ScheduledExecutorService recorder;
    private final ConcurrentHashMap<MacAddress, Exchange> unrecorded = new ConcurrentHashMap<>();
    static final int MAX_UNRECORDED = 100_000;
    static final long FLUSH_MILLIS = 100;
    private final List<Channel> channels = new ArrayList<>();
    private DhcpHandler handler;
    private DhcpHandler bootHandler;
    private volatile boolean proxy;
    private volatile String problem;

    @Activate
    public DhcpServer(Config config, @Reference HttpEndpoint http) {
        this.config = config;
        this.http = http;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ironbell-dhcp", true), NioIoHandler.newFactory());
        this.recorder = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("ironbell-dhcp-leases", true));
        recorder.scheduleWithFixedDelay(this::flushLeases, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
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
        this.proxy = proxy;
        Inet4Address listen = DhcpResponder.ipv4(config.listen().trim());
        if (listen == null) {
            throw new IllegalStateException("dhcp.listen must be an IPv4 address, was '" + config.listen() + "'");
        }
        Inet4Address server = serverAddress();
        List<Subnet> relayBlocks;
        try {
            relayBlocks = Subnet.parseList(config.relays());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("dhcp.relays: " + e.getMessage());
        }
        if (config.ratePerMac() < 0 || config.burstPerMac() < 1) {
            throw new IllegalStateException("dhcp.ratePerMac must be 0 (no limit) or more and dhcp.burstPerMac 1 or more, were "
                    + config.ratePerMac() + " and " + config.burstPerMac());
        }
        try {
            configuredPools = Pools.parse(config.pools());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("dhcp.pools: " + e.getMessage());
        }
        if (proxy && !configuredPools.isEmpty()) {
            throw new IllegalStateException("dhcp.pools is for reservation mode: in proxy mode the other DHCP server gives the addresses");
        }
        if (config.probeMillis() < 0 || config.declineSeconds() < 1 || config.probeThreads() < 1) {
            throw new IllegalStateException("dhcp.probeMillis must be 0 or more, dhcp.declineSeconds and dhcp.probeThreads 1 or more");
        }
        RelayPolicy relays = new RelayPolicy(relayBlocks, RelayPolicy.interfaces(TimeUnit.SECONDS.toNanos(30)));
        RateLimit<MacAddress> perMac = new RateLimit<>(config.ratePerMac(), config.burstPerMac(), MAX_RATED_MACS, System::nanoTime);
        DhcpResponder responder = new DhcpResponder(new DhcpResponder.Settings(server, http.url(server.getHostAddress(), ""), proxy, () -> {
            DiscoveryService d = discovery;
            return d != null && d.enabled();
        }));
        if (!proxy) {
            Inet4Address own = interfaceAddress();
            pools = new Pools(() -> addressPools, () -> lookup, responder, new Pools.Settings(config.probeThreads(), config.probeMillis(),
                    config.declineSeconds(), server, own != null ? own : server));
            recorder.scheduleWithFixedDelay(this::refreshPools, 0, POOL_REFRESH_SECONDS, TimeUnit.SECONDS);
        }
        handler = new DhcpHandler(() -> lookup, responder, config.port(), config.clientPort(), this::record, false, relays, perMac, pools);
        channels.add(bind(listen, config.port(), handler));
        Inet4Address own = interfaceAddress();
        if (own != null && listen.isAnyLocalAddress()) {
            // answers requests sent to this address too, like the wildcard socket
            Channel out = bind(own, config.port(), handler);
            channels.add(out);
            handler.broadcastVia(out);
        }
        if (proxy) {
            bootHandler = new DhcpHandler(() -> lookup, responder, config.port(), config.clientPort(), this::record, true, relays, perMac);
            channels.add(bind(listen, config.proxyPort(), bootHandler));
        }
        LOG.info("started: DHCP ({}) on UDP {}{} as {}; relays answered: {}; answers per MAC: {}", config.mode(), config.port(),
                proxy ? " and " + config.proxyPort() : "", server.getHostAddress(),
                relayBlocks.isEmpty() ? "in reservations' subnets and on this server's links" : relayBlocks,
                config.ratePerMac() == 0 ? "unlimited" : config.ratePerMac() + "/s after " + config.burstPerMac());
    }

    /** How often the pools are read again (a pool made or changed elsewhere serves within this). */
    static final long POOL_REFRESH_SECONDS = 5;

    /** Stores dhcp.pools' pools once the store is there, then reads every pool. */
    private void refreshPools() {
        try {
            AddressPools store = addressPools;
            if (store != null && !poolsStored) {
                for (AddressPool p : configuredPools) {
                    store.putPool(p);
                }
                poolsStored = true;
                if (!configuredPools.isEmpty()) {
                    LOG.info("DHCP pools from dhcp.pools stored: {}", configuredPools.stream().map(p -> p.name() + " " + p.firstAddress() + "-"
                            + p.lastAddress()).toList());
                }
            }
            Pools p = pools;
            if (p != null) {
                p.refresh();
            }
        } catch (Exception e) {
            // the database may be away: the next round tries again
            LOG.debug("pools not refreshed: {}", e.getMessage());
        }
    }

    /** Bytes the kernel may queue for a DHCP socket: some thousands of requests. */
    static final int RECEIVE_BUFFER = 4 << 20;

    private Channel bind(Inet4Address address, int port, DhcpHandler h) {
        try {
            // IPv4 only: broadcasts from a dual-stack socket do not leave
            return new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
                    .option(ChannelOption.SO_BROADCAST, true)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    // a boot storm's burst waits in the socket, not lost, while the JVM pauses (the kernel caps it at rmem_max)
                    .option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
                    .handler(h)
                    .bind(new InetSocketAddress(address, port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            closeChannels();
            throw new IllegalStateException("cannot listen on UDP " + address.getHostAddress() + ":" + port + ": " + e.getMessage());
        }
    }

    /** server.address, else the first IPv4 address of dhcp.interface. */
    private Inet4Address serverAddress() {
        Inet4Address own = interfaceAddress();
        if (config.address().isBlank() && !config.interface$().isBlank()) {
            if (own == null) {
                throw new IllegalStateException("interface " + config.interface$() + " has no IPv4 address; set server.address");
            }
            return own;
        }
        Inet4Address a = DhcpResponder.ipv4(config.address().trim());
        if (a == null) {
            throw new IllegalStateException("server.address must be an IPv4 address (or set dhcp.interface), was '" + config.address() + "'");
        }
        return a;
    }

    /**
     * The first IPv4 address of dhcp.interface; null when no interface is named or it has none.
     *
     * @throws IllegalStateException when the interface does not exist
     */
    private Inet4Address interfaceAddress() {
        String name = config.interface$();
        if (name.isBlank()) {
            return null;
        }
        try {
            NetworkInterface nic = NetworkInterface.getByName(name);
            if (nic == null) {
                throw new IllegalStateException("interface " + name + " (dhcp.interface) does not exist");
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address v4) {
                    return v4;
                }
            }
            return null;
        } catch (SocketException e) {
            throw new IllegalStateException("cannot read interface " + name + ": " + e.getMessage());
        }
    }

    /**
     * Off the reply path: the exchange is noted per MAC (a later one replaces an earlier, so a
     * DISCOVER and its REQUEST cost one write) and written in batches by {@link #flushLeases}.
     * When the database falls behind, new MACs wait for room: a lost record costs a "last
     * seen" time, never a reply.
     */
    private void record(DhcpMessage m, Optional<Hardware> hw) {
        if (leases == null || unrecorded.size() >= MAX_UNRECORDED) {
            return;
        }
        m.clientMac().ifPresent(mac -> unrecorded.put(mac, new Exchange(m, hw, Instant.now())));
    }

    private record Exchange(DhcpMessage message, Optional<Hardware> hardware, Instant at) {
    }

    private void flushLeases() {
        try {
            writeLeases();
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: log and go on
            LOG.warn("leases not recorded", e);
        }
    }

    private synchronized void writeLeases() {
        LeaseStore store = leases;
        if (store == null || unrecorded.isEmpty()) {
            return;
        }
        List<Lease> batch = new ArrayList<>();
        for (MacAddress mac : List.copyOf(unrecorded.keySet())) {
            Exchange e = unrecorded.remove(mac);
            if (e == null) {
                continue;
            }
            int type = e.message().messageType().orElse(0);
            Lease.State state = switch (type) {
                case DhcpMessage.REQUEST -> Lease.State.BOUND;
                case DhcpMessage.RELEASE -> Lease.State.RELEASED;
                case DhcpMessage.DECLINE -> Lease.State.DECLINED;
                default -> Lease.State.OFFERED;
            };
            if (proxy) {
                // the other server gives the addresses: only "last seen" is ours to record
                state = Lease.State.OFFERED;
            }
            String ip = proxy ? null : e.hardware().flatMap(h -> h.interfaceByMac(mac))
                    .map(i -> i.dhcp() == null || i.dhcp().ip() == null ? null : i.dhcp().ip().address()).orElse(null);
            batch.add(new Lease(mac, ip, e.hardware().map(Hardware::id).orElse(null), state, null, e.at(),
                    e.message().options().string(DhcpOptions.VENDOR_CLASS).orElse(null)));
        }
        try {
            store.recordAll(batch);
        } catch (Exception ex) {
            LOG.debug("{} leases not recorded: {}", batch.size(), ex.getMessage());
        }
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

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, cardinality = ReferenceCardinality.OPTIONAL)
    void setAddressPools(AddressPools s) {
        addressPools = s;
        poolsStored = false;
    }

    void unsetAddressPools(AddressPools s) {
        if (addressPools == s) {
            addressPools = null;
        }
    }

    /** Whether unknown machines netboot is discovery's to say (discovery.enabled). */
    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, cardinality = ReferenceCardinality.OPTIONAL)
    void setDiscovery(DiscoveryService d) {
        discovery = d;
    }

    void unsetDiscovery(DiscoveryService d) {
        if (discovery == d) {
            discovery = null;
        }
    }

    /** Closes the port before returning, so that an updated bundle can bind it at once. */
    @Deactivate
    void deactivate() {
        boolean running = !channels.isEmpty();
        // the pools' probes first: an offer made after the event loop stopped had nowhere to go
        Pools p = pools;
        if (p != null) {
            p.stop();
        }
        closeChannels();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        recorder.shutdownNow();
        flushLeases();
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
        if (b != null) {
            w.counter("ironbell_dhcp_boot_server_answered_total", "proxy mode: replies sent from the PXE boot-server port", b.answered.sum());
        }
        w.counter("ironbell_dhcp_malformed_total", "malformed DHCP datagrams dropped", h.malformed.sum() + (b == null ? 0 : b.malformed.sum()));
        w.counter("ironbell_dhcp_relay_refused_total", "relayed DHCP requests not answered: their relay (giaddr) is not allowed "
                + "(dhcp.relays)", h.relayRefused.sum() + (b == null ? 0 : b.relayRefused.sum()));
        w.counter("ironbell_dhcp_rate_limited_total", "DHCP answers dropped: over dhcp.ratePerMac for their MAC",
                h.rateLimited.sum() + (b == null ? 0 : b.rateLimited.sum()));
        Pools p = pools;
        if (p != null) {
            w.counter("ironbell_dhcp_pool_replies_total", "pool addresses offered", p.offers.sum(), "type", "offer");
            w.counter("ironbell_dhcp_pool_replies_total", "pool addresses acknowledged", p.acks.sum(), "type", "ack");
            w.counter("ironbell_dhcp_pool_replies_total", "pool requests refused (NAK)", p.naks.sum(), "type", "nak");
            w.counter("ironbell_dhcp_pool_exhausted_total", "DISCOVERs a pool had no free address for", p.exhausted.sum());
            w.counter("ironbell_dhcp_pool_dropped_total", "pool requests dropped: too many waiting for the database or for a probe", p.dropped.sum());
            w.counter("ironbell_dhcp_pool_failed_total", "pool requests not answered: the database failed", p.failed.sum());
            w.counter("ironbell_dhcp_pool_probe_in_use_total", "free pool addresses that answered a ping, not offered", p.probedInUse.sum());
            for (Pools.Entry e : p.pools()) {
                long size = Integer.toUnsignedLong(Subnet.parse(e.pool().lastAddress() + "/32").network())
                        - Integer.toUnsignedLong(Subnet.parse(e.pool().firstAddress() + "/32").network()) + 1;
                w.gauge("ironbell_dhcp_pool_addresses", "addresses in a pool", size, "pool", e.pool().name());
            }
        }
    }
}
