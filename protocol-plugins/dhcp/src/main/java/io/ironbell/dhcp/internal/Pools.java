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
import io.ironbell.protocol.support.Tally;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>Nothing blocks the event loop: the store answers lease changes later, many clients' in one
 * transaction, and the reply leaves from its thread; a MAC's REQUEST never overtakes its DISCOVER,
 * for the client sends it only once the offer is there. Beyond {@link #MAX_WAITING} requests
 * waiting for the database, more are dropped (the client asks again) and counted.
 */
final class Pools {

    private static final Logger LOG = LoggerFactory.getLogger(Pools.class);

    /** Requests waiting for the database before more are dropped: some seconds of a herd. */
    static final int MAX_WAITING = 16384;
    /** Free addresses waiting for a probe thread before more DISCOVERs are dropped. */
    static final int PROBES_WAITING = 1024;
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
    record Settings(int probeThreads, int probeMillis, int declineSeconds, Inet4Address serverAddress, Inet4Address directAddress) {
    }

    private final Supplier<AddressPools> store;
    private final Supplier<HardwareLookup> lookup;
    private final DhcpResponder responder;
    private final Settings settings;
    /** Probes running at once, each waiting up to dhcp.probeMillis. */
    private final ThreadPoolExecutor probes;
    /** Requests the database is answering now. */
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile List<Entry> pools = List.of();
    /** Addresses a probe found answering, and when: not offered again for a minute. */
    private final ConcurrentHashMap<String, Long> inUse = new ConcurrentHashMap<>();
    final LongAdder offers = new LongAdder();
    final LongAdder acks = new LongAdder();
    final LongAdder naks = new LongAdder();
    final LongAdder exhausted = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final Tally failed = new Tally(Duration.ofSeconds(10));
    final LongAdder probedInUse = new LongAdder();

    Pools(Supplier<AddressPools> store, Supplier<HardwareLookup> lookup, DhcpResponder responder, Settings settings) {
        this.store = store;
        this.lookup = lookup;
        this.responder = responder;
        this.settings = settings;
        this.probes = new ThreadPoolExecutor(settings.probeThreads(), settings.probeThreads(), 10, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(PROBES_WAITING), new DefaultThreadFactory("ironbell-dhcp-probe", true));
        probes.allowCoreThreadTimeOut(true);
    }

    /** Stops the probes, waiting up to a second for those under way. */
    void stop() {
        probes.shutdownNow();
        try {
            probes.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
     * Answers from the shared leases without blocking the caller; {@code send} gets the reply, if
     * there is one, on the store's thread or a probe's.
     *
     * @return false when too many requests wait for the database and this one was dropped (the client asks again)
     */
    boolean submit(DhcpMessage request, Optional<Hardware> hw, Entry pool, Consumer<DhcpMessage> send) {
        if (waiting.incrementAndGet() > MAX_WAITING) {
            waiting.decrementAndGet();
            dropped.increment();
            return false;
        }
        MacAddress mac = request.clientMac().orElseThrow();
        CompletionStage<Optional<DhcpMessage>> answer;
        try {
            answer = answer(request, hw, pool);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((reply, problem) -> {
            waiting.decrementAndGet();
            if (problem != null) {
                long held = failed.add();
                if (held >= 0) {
                    Throwable cause = problem instanceof java.util.concurrent.CompletionException && problem.getCause() != null
                            ? problem.getCause() : problem;
                    LOG.warn("DHCP pool {} could not answer {}: {}{}", pool.pool().name(), mac, cause.toString(), Tally.more(held));
                }
            } else if (reply.isPresent()) {
                try {
                    send.accept(reply.get());
                } catch (RuntimeException e) {
                    LOG.warn("pool {}: reply to {} not sent", pool.pool().name(), mac, e);
                }
            }
        });
        return true;
    }

    /** RFC 2131 §4.3 for one request, against the shared leases. */
    CompletionStage<Optional<DhcpMessage>> answer(DhcpMessage req, Optional<Hardware> hw, Entry entry) {
        AddressPools s = store.get();
        if (s == null) {
            return CompletableFuture.completedFuture(Optional.empty());
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
                return offer(s, req, hw, known, pool, requested == null ? null : requested.getHostAddress(), excluded, 0);
            }
            case DhcpMessage.REQUEST -> {
                if (!ours) {
                    // the client took another server's offer. Ours is left to run out (offer seconds): that
                    // server may be another instance, whose offer is the very row ours is, binding it now
                    return CompletableFuture.completedFuture(Optional.empty());
                }
                Inet4Address asked = requested != null ? requested : req.ciaddr();
                if (asked.isAnyLocalAddress()) {
                    return CompletableFuture.completedFuture(Optional.empty());
                }
                if (!entry.subnet().contains(asked) || reservedByOther(asked.getHostAddress(), hw)) {
                    naks.increment();
                    return CompletableFuture.completedFuture(Optional.of(responder.refuse(req)));
                }
                return s.bind(pool.name(), mac, asked.getHostAddress()).thenApply(bound -> {
                    if (bound.isEmpty()) {
                        naks.increment();
                        return Optional.of(responder.refuse(req));
                    }
                    acks.increment();
                    return Optional.of(responder.poolReply(req, known, pool, asked, DhcpMessage.ACK));
                });
            }
            case DhcpMessage.RELEASE -> {
                if (ours && !req.ciaddr().isAnyLocalAddress()) {
                    return s.release(pool.name(), mac, req.ciaddr().getHostAddress()).thenApply(v -> Optional.empty());
                }
                return CompletableFuture.completedFuture(Optional.empty());
            }
            case DhcpMessage.DECLINE -> {
                if (ours && requested != null) {
                    LOG.warn("DHCP: {} declined {} of pool {} (in use by something else): out for {} s", mac, requested.getHostAddress(),
                            pool.name(), settings.declineSeconds());
                    return s.decline(pool.name(), mac, requested.getHostAddress(), Duration.ofSeconds(settings.declineSeconds()))
                            .thenApply(v -> Optional.empty());
                }
                return CompletableFuture.completedFuture(Optional.empty());
            }
            case DhcpMessage.INFORM -> {
                return CompletableFuture.completedFuture(Optional.of(responder.poolReply(req, known, pool, null, DhcpMessage.ACK)));
            }
            default -> {
                return CompletableFuture.completedFuture(Optional.empty());
            }
        }
    }

    /**
     * A DISCOVER's offer: an address the store holds for the MAC, unless a record reserves it (the
     * hold goes back) or, probed first, something answers at it (declined): then another, up to
     * {@link #ATTEMPTS} times.
     */
    private CompletionStage<Optional<DhcpMessage>> offer(AddressPools s, DhcpMessage req, Optional<Hardware> hw, HardwareInterface known,
                                                         AddressPool pool, String requested, Set<String> excluded, int attempt) {
        if (attempt >= ATTEMPTS) {
            exhausted.increment();
            return CompletableFuture.completedFuture(Optional.empty());
        }
        MacAddress mac = req.clientMac().orElseThrow();
        return s.offer(pool.name(), mac, requested, Set.copyOf(excluded)).thenCompose(offer -> {
            if (offer.isEmpty()) {
                exhausted.increment();
                LOG.warn("DHCP pool {} has no free address for {}", pool.name(), mac);
                return CompletableFuture.completedFuture(Optional.empty());
            }
            String address = offer.get().address();
            if (reservedByOther(address, hw)) {
                // a record reserves it: never the pool's to give; the MAC's hold goes back
                excluded.add(address);
                return s.release(pool.name(), mac, address).thenCompose(v -> offer(s, req, hw, known, pool, requested, excluded, attempt + 1));
            }
            Optional<DhcpMessage> reply = Optional.of(responder.poolReply(req, known, pool, DhcpResponder.ipv4(address), DhcpMessage.OFFER));
            if (settings.probeMillis() <= 0) {
                offers.increment();
                return CompletableFuture.completedFuture(reply);
            }
            return probe(address).thenCompose(answered -> {
                if (answered == null) {
                    // every probe thread busy and a queue of them waiting: dropped, not offered unprobed (the client asks again)
                    dropped.increment();
                    return CompletableFuture.completedFuture(Optional.empty());
                }
                if (answered) {
                    excluded.add(address);
                    return s.decline(pool.name(), mac, address, Duration.ofSeconds(settings.declineSeconds()))
                            .thenCompose(v -> offer(s, req, hw, known, pool, requested, excluded, attempt + 1));
                }
                offers.increment();
                return CompletableFuture.completedFuture(reply);
            });
        });
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

    /**
     * RFC 2131 §2.2: a free address is probed before it is offered; something answering keeps it out.
     * A probe waits up to {@code dhcp.probeMillis} for an answer, on a thread of the probes' own
     * (Java pings only by blocking: {@code dhcp.probeThreads} of them bound the rate of new offers).
     *
     * @return whether something answered; null when too many probes wait already
     */
    private CompletionStage<Boolean> probe(String address) {
        try {
            return CompletableFuture.supplyAsync(() -> answersProbe(address), probes);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null);
        }
    }

    private boolean answersProbe(String address) {
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
