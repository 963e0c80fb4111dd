package io.ironbell.dhcp.internal;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Addresses for machines that no reservation names, from the pools in the database every server
 * instance shares ({@link AddressPools}), with RFC 2131's conversation: a DISCOVER gets the MAC's
 * own address again or a free one (probed first when {@code dhcp.probeMillis} is set), a REQUEST
 * binds it or gets a NAK when another MAC holds it, a renewal extends it, RELEASE gives it back and
 * DECLINE takes it out for a probation.
 *
 * <p>The database is never asked on the event loop: requests go to a few lanes, each a thread of
 * its own, chosen by the MAC, so that one MAC's REQUEST never overtakes its DISCOVER; a lane whose
 * queue is full drops the request (the client asks again) and counts it.
 */
final class Pools {

    private static final Logger LOG = LoggerFactory.getLogger(Pools.class);

    /** Requests waiting per lane before more are dropped. */
    static final int QUEUE = 4096;
    /** Addresses found in use or reserved before a DISCOVER is given up. */
    static final int ATTEMPTS = 8;

    /** A pool, with its network and relays parsed. */
    record Entry(AddressPool pool, Subnet subnet, List<Subnet> relays) {
        static Entry of(AddressPool p) {
            return new Entry(p, Subnet.parse(p.subnet()), p.relays().stream().map(Subnet::parse).toList());
        }
    }

    /**
     * @param probeMillis    how long a free address is pinged before it is offered; 0: never
     * @param declineSeconds how long a declined address stays out
     */
    record Settings(int lanes, int probeMillis, int declineSeconds, Inet4Address serverAddress, Inet4Address directAddress) {
    }

    private final Supplier<AddressPools> store;
    private final Supplier<HardwareLookup> lookup;
    private final DhcpResponder responder;
    private final Settings settings;
    private final ThreadPoolExecutor[] lanes;
    private volatile List<Entry> pools = List.of();
    /** Addresses a probe found answering, and when: not offered again for a minute. */
    private final ConcurrentHashMap<String, Long> inUse = new ConcurrentHashMap<>();
    final LongAdder offers = new LongAdder();
    final LongAdder acks = new LongAdder();
    final LongAdder naks = new LongAdder();
    final LongAdder exhausted = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder probedInUse = new LongAdder();

    Pools(Supplier<AddressPools> store, Supplier<HardwareLookup> lookup, DhcpResponder responder, Settings settings) {
        this.store = store;
        this.lookup = lookup;
        this.responder = responder;
        this.settings = settings;
        this.lanes = new ThreadPoolExecutor[Math.max(1, settings.lanes())];
        for (int i = 0; i < lanes.length; i++) {
            int n = i;
            lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
                Thread t = new Thread(r, "ironbell-dhcp-pool-" + n);
                t.setDaemon(true);
                return t;
            });
        }
    }

    /** Stops the lanes, waiting up to a second for the answers under way. */
    void stop() {
        for (ThreadPoolExecutor l : lanes) {
            l.shutdownNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (ThreadPoolExecutor l : lanes) {
            try {
                l.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Reads the pools again; keeps the last ones when the database is away. */
    void refresh() {
        AddressPools s = store.get();
        if (s == null) {
            return;
        }
        try {
            List<Entry> fresh = new ArrayList<>();
            for (AddressPool p : s.pools()) {
                fresh.add(Entry.of(p));
            }
            pools = List.copyOf(fresh);
        } catch (StoreException | RuntimeException e) {
            LOG.debug("pools not read: {}", e.getMessage());
        }
        long stale = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);
        inUse.values().removeIf(t -> t < stale);
    }

    List<Entry> pools() {
        return pools;
    }

    /**
     * The pool that serves the request's network: by its relay agent when relayed (the pool whose
     * subnet holds the giaddr, or that lists it), else the pool of the served interface's subnet, or
     * the only pool when there is one.
     */
    Optional<Entry> select(DhcpMessage request) {
        List<Entry> all = pools;
        if (all.isEmpty()) {
            return Optional.empty();
        }
        if (request.relayed()) {
            Inet4Address g = request.giaddr();
            return all.stream().filter(e -> e.subnet().contains(g) || Subnet.any(e.relays(), g)).findFirst();
        }
        Inet4Address own = settings.directAddress();
        if (own != null) {
            Optional<Entry> direct = all.stream().filter(e -> e.subnet().contains(own)).findFirst();
            if (direct.isPresent()) {
                return direct;
            }
        }
        return all.size() == 1 && all.get(0).relays().isEmpty() ? Optional.of(all.get(0)) : Optional.empty();
    }

    /** Whether a request is the pools' to answer: its MAC has no reserved address, and is not refused DHCP. */
    static boolean unreserved(DhcpMessage request, Optional<Hardware> hw) {
        if (request.clientMac().isEmpty() || request.messageType().isEmpty()) {
            return false;
        }
        HardwareInterface nic = hw.flatMap(h -> h.interfaceByMac(request.clientMac().get())).orElse(null);
        if (hw.isPresent() && nic == null) {
            return false;
        }
        if (nic == null) {
            return true;
        }
        return nic.dhcp() == null || !Boolean.TRUE.equals(nic.dhcp().disabled()) && (nic.dhcp().ip() == null
                || nic.dhcp().ip().address() == null || nic.dhcp().ip().address().isBlank());
    }

    /**
     * Answers on the MAC's lane; {@code send} gets the reply, if there is one.
     *
     * @return false when the lane is full and the request was dropped
     */
    boolean submit(DhcpMessage request, Optional<Hardware> hw, Entry pool, Consumer<DhcpMessage> send) {
        MacAddress mac = request.clientMac().orElseThrow();
        try {
            lanes[Math.floorMod(mac.hashCode(), lanes.length)].execute(() -> {
                try {
                    answer(request, hw, pool).ifPresent(send);
                } catch (StoreException | RuntimeException e) {
                    failed.increment();
                    LOG.debug("pool {} could not answer {}: {}", pool.pool().name(), mac, e.getMessage());
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            dropped.increment();
            return false;
        }
    }

    /** RFC 2131 §4.3 for one request, against the shared leases. */
    Optional<DhcpMessage> answer(DhcpMessage req, Optional<Hardware> hw, Entry entry) throws StoreException {
        AddressPools s = store.get();
        if (s == null) {
            return Optional.empty();
        }
        AddressPool pool = entry.pool();
        MacAddress mac = req.clientMac().orElseThrow();
        HardwareInterface known = hw.flatMap(h -> h.interfaceByMac(mac)).orElse(null);
        Optional<Inet4Address> serverId = req.options().address(DhcpOptions.SERVER_ID);
        boolean ours = serverId.isEmpty() || serverId.get().equals(settings.serverAddress());
        Inet4Address requested = req.options().address(DhcpOptions.REQUESTED_IP).orElse(null);
        switch (req.messageType().get()) {
            case DhcpMessage.DISCOVER -> {
                Set<String> excluded = new HashSet<>();
                excluded.add(settings.serverAddress().getHostAddress());
                if (pool.router() != null) {
                    excluded.add(pool.router());
                }
                excluded.addAll(inUse.keySet());
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    Optional<PoolLease> offer = s.offer(pool.name(), mac, requested == null ? null : requested.getHostAddress(), excluded);
                    if (offer.isEmpty()) {
                        exhausted.increment();
                        LOG.warn("DHCP pool {} has no free address for {}", pool.name(), mac);
                        return Optional.empty();
                    }
                    String address = offer.get().address();
                    if (reservedByOther(address, hw)) {
                        // a record reserves it: never the pool's to give; the MAC's hold goes back
                        s.release(pool.name(), mac, address);
                        excluded.add(address);
                        continue;
                    }
                    if (answersProbe(address)) {
                        s.decline(pool.name(), mac, address, Duration.ofSeconds(settings.declineSeconds()));
                        excluded.add(address);
                        continue;
                    }
                    offers.increment();
                    return Optional.of(responder.poolReply(req, known, pool, DhcpResponder.ipv4(address), DhcpMessage.OFFER));
                }
                exhausted.increment();
                return Optional.empty();
            }
            case DhcpMessage.REQUEST -> {
                if (!ours) {
                    // the client took another server's offer. Ours is left to run out (offer seconds): that
                    // server may be another instance, whose offer is the very row ours is, binding it now
                    return Optional.empty();
                }
                Inet4Address asked = requested != null ? requested : req.ciaddr();
                if (asked.isAnyLocalAddress()) {
                    return Optional.empty();
                }
                if (!entry.subnet().contains(asked) || reservedByOther(asked.getHostAddress(), hw)) {
                    naks.increment();
                    return Optional.of(responder.refuse(req));
                }
                Optional<PoolLease> bound = s.bind(pool.name(), mac, asked.getHostAddress());
                if (bound.isEmpty()) {
                    naks.increment();
                    return Optional.of(responder.refuse(req));
                }
                acks.increment();
                return Optional.of(responder.poolReply(req, known, pool, asked, DhcpMessage.ACK));
            }
            case DhcpMessage.RELEASE -> {
                if (ours && !req.ciaddr().isAnyLocalAddress()) {
                    s.release(pool.name(), mac, req.ciaddr().getHostAddress());
                }
                return Optional.empty();
            }
            case DhcpMessage.DECLINE -> {
                if (ours && requested != null) {
                    s.decline(pool.name(), mac, requested.getHostAddress(), Duration.ofSeconds(settings.declineSeconds()));
                    LOG.warn("DHCP: {} declined {} of pool {} (in use by something else): out for {} s", mac, requested.getHostAddress(),
                            pool.name(), settings.declineSeconds());
                }
                return Optional.empty();
            }
            case DhcpMessage.INFORM -> {
                return Optional.of(responder.poolReply(req, known, pool, null, DhcpMessage.ACK));
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /** Whether a record other than the client's reserves the address. */
    private boolean reservedByOther(String address, Optional<Hardware> hw) {
        HardwareLookup l = lookup.get();
        if (l == null) {
            return false;
        }
        Inet4Address a = DhcpResponder.ipv4(address);
        Optional<Hardware> owner = l.byIp(a);
        return owner.isPresent() && (hw.isEmpty() || !owner.get().id().equals(hw.get().id()));
    }

    /** RFC 2131 §2.2: a free address is probed before it is offered; something answering keeps it out. */
    private boolean answersProbe(String address) {
        if (settings.probeMillis() <= 0) {
            return false;
        }
        try {
            if (DhcpResponder.ipv4(address).isReachable(settings.probeMillis())) {
                probedInUse.increment();
                inUse.put(address, System.nanoTime());
                LOG.warn("DHCP: {} answers a ping though it is free in its pool: not offered (something uses it without a lease)", address);
                return true;
            }
        } catch (IOException e) {
            LOG.debug("probe of {} failed: {}", address, e.getMessage());
        }
        return false;
    }

    /**
     * Pools from {@code dhcp.pools}: separated by {@code ;}, each a list of {@code key=value}
     * separated by spaces: {@code name}, {@code subnet} (CIDR), {@code range} (first-last),
     * {@code router}, {@code dns} (comma-separated), {@code lease} and {@code offer} (seconds),
     * {@code relays} (comma-separated giaddrs).
     *
     * @throws IllegalArgumentException naming the pool and the key that is wrong
     */
    static List<AddressPool> parse(String text) {
        List<AddressPool> out = new ArrayList<>();
        int n = 0;
        for (String spec : text.split(";")) {
            if (spec.isBlank()) {
                continue;
            }
            n++;
            String name = null;
            String subnet = null;
            String first = null;
            String last = null;
            String router = null;
            List<String> dns = List.of();
            List<String> relays = List.of();
            int lease = 0;
            int offer = 0;
            for (String kv : spec.trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("pool " + n + ": '" + kv + "' is not key=value");
                }
                String k = kv.substring(0, eq);
                String v = kv.substring(eq + 1);
                String where = "pool " + (name == null ? String.valueOf(n) : name) + ": " + k;
                switch (k) {
                    case "name" -> name = v;
                    case "subnet" -> {
                        if (!v.contains("/")) {
                            throw new IllegalArgumentException(where + " must be a CIDR block, was '" + v + "'");
                        }
                        Subnet.parse(v);
                        subnet = v;
                    }
                    case "range" -> {
                        String[] r = v.split("-");
                        if (r.length != 2 || DhcpResponder.ipv4(r[0]) == null || DhcpResponder.ipv4(r[1]) == null) {
                            throw new IllegalArgumentException(where + " must be FIRST-LAST, two IPv4 addresses, was '" + v + "'");
                        }
                        first = r[0];
                        last = r[1];
                    }
                    case "router" -> router = address(where, v);
                    case "dns" -> dns = List.of(v.split(",")).stream().map(a -> address(where, a)).toList();
                    case "relays" -> relays = List.of(v.split(",")).stream().map(a -> address(where, a)).toList();
                    case "lease" -> lease = seconds(where, v);
                    case "offer" -> offer = seconds(where, v);
                    default -> throw new IllegalArgumentException(where + " is not a pool key (name, subnet, range, router, dns, lease, offer, relays)");
                }
            }
            if (name == null || subnet == null || first == null) {
                throw new IllegalArgumentException("pool " + (name == null ? String.valueOf(n) : name) + ": name, subnet and range are required");
            }
            Subnet net = Subnet.parse(subnet);
            if (!net.contains(DhcpResponder.ipv4(first)) || !net.contains(DhcpResponder.ipv4(last))) {
                throw new IllegalArgumentException("pool " + name + ": range " + first + "-" + last + " is not in subnet " + subnet);
            }
            out.add(new AddressPool(name, subnet, first, last, relays, router, dns, lease, offer));
        }
        return List.copyOf(out);
    }

    private static String address(String where, String v) {
        if (DhcpResponder.ipv4(v) == null) {
            throw new IllegalArgumentException(where + " must be IPv4 addresses, was '" + v + "'");
        }
        return v;
    }

    private static int seconds(String where, String v) {
        try {
            int s = Integer.parseInt(v);
            if (s > 0) {
                return s;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(where + " must be seconds, more than 0, was '" + v + "'");
    }
}
