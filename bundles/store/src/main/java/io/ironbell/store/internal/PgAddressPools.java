package io.ironbell.store.internal;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Pools in {@code dhcp_pool}, leases in {@code dhcp_lease} (Kea's model: one row per address in
 * use, an insert that loses on the primary key lost the address). A MAC's search starts at its
 * hash, so two instances that hear one broadcast try the same address and one of them wins it.
 */
@Component(service = {AddressPools.class, MetricSet.class})
public final class PgAddressPools implements AddressPools, MetricSet {

    /** Candidates one search looks at: a window of the pool from the MAC's hash on, then the next. */
    static final long WINDOW = 128;

    private final Database db;
    /**
     * DISCOVERs and REQUESTs of many clients share a transaction and a statement: a herd's exchanges
     * are what a server spends its database on. One batch at a time: batches running at once waited
     * for each other's rows (in a cycle at worst, a second's stall until PostgreSQL's deadlock check),
     * and one batch of many units costs hardly more than one of a few.
     */
    final GroupCommit group;

    @Activate
    public PgAddressPools(@Reference Database db) {
        this.db = db;
        this.group = new GroupCommit(db, "dhcp-leases");
    }

    @Override
    public void collect(MetricWriter w) {
        w.counter("ironbell_dhcp_lease_transactions_total", "transactions that changed pool leases (each shared by many exchanges)",
                group.transactions.sum());
        w.counter("ironbell_dhcp_lease_changes_total", "pool lease changes (offers, bindings, releases, declines) committed in them",
                group.units.sum());
        w.counter("ironbell_dhcp_lease_batches_rerun_total", "batches of lease changes that failed whole and ran again one change per "
                + "transaction", group.fallbacks.sum());
    }

    /** Stops the group's thread: leases changed after this fail as unavailable. */
    @Deactivate
    void deactivate() {
        group.close();
    }

    @Override
    public AddressPool putPool(AddressPool p) throws StoreException {
        if (p.name() == null || !p.name().matches("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?")) {
            throw new StoreException(Reason.INVALID, "name '" + p.name() + "' is not a name (lowercase letters, digits, '-' and '.')");
        }
        long[] subnet = subnet(p.subnet());
        long first = v4("firstAddress", p.firstAddress());
        long last = v4("lastAddress", p.lastAddress());
        if (first > last) {
            throw new StoreException(Reason.INVALID, "firstAddress " + p.firstAddress() + " is after lastAddress " + p.lastAddress());
        }
        if ((first & subnet[1]) != subnet[0] || (last & subnet[1]) != subnet[0]) {
            throw new StoreException(Reason.INVALID, "firstAddress and lastAddress must lie in subnet " + p.subnet());
        }
        if (p.router() != null) {
            v4("router", p.router());
        }
        for (String r : p.relays()) {
            v4("relays", r);
        }
        for (String d : p.dns()) {
            v4("dns", d);
        }
        return db.tx(s -> {
            Mappers.PoolSql sql = s.getMapper(Mappers.PoolSql.class);
            sql.putPool(p, "{" + String.join(",", p.relays()) + "}", "{" + String.join(",", p.dns()) + "}");
            cache.remove(p.name());
            return pool(sql.pool(p.name()));
        });
    }

    @Override
    public List<AddressPool> pools() throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.PoolSql.class).pools().stream().map(PgAddressPools::pool).toList());
    }

    @Override
    public void deletePool(String name) throws StoreException {
        db.tx(s -> {
            cache.remove(name);
            if (s.getMapper(Mappers.PoolSql.class).deletePool(name) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no pool " + name);
            }
            return null;
        });
    }

    @Override
    public CompletionStage<Optional<PoolLease>> offer(String pool, MacAddress mac, String requested, Set<String> excluded) {
        String ex = "{" + String.join(",", new java.util.TreeSet<>(excluded)) + "}";
        return group.submit(mac.toString(), offers, new OfferInput(pool, mac, requested, requested != null && excluded.contains(requested), ex), false)
                .thenApply(r -> Optional.ofNullable(r).map(PgAddressPools::lease));
    }

    /** A DISCOVER: the pool, the MAC, the address it asks for (and whether that is excluded), the excluded addresses as an array. */
    private record OfferInput(String pool, MacAddress mac, String requested, boolean requestedExcluded, String excluded) {
    }

    /**
     * DISCOVERs in one transaction: those asking for an address each alone (rare: dhclient asks for
     * its last one), the rest of one pool in one statement (the MAC's own address, or the first free
     * one of the window from its hash), and a MAC left without an answer searches the pool alone.
     * A MAC twice in the batch (a DISCOVER sent again) gets the first one's offer.
     */
    private final GroupCommit.Batch<OfferInput, Map<String, Object>> offers = (s, inputs) -> {
        Mappers.PoolSql sql = s.getMapper(Mappers.PoolSql.class);
        Map<List<Object>, Map<String, Object>> found = new java.util.HashMap<>();
        Map<List<String>, List<OfferInput>> batched = new java.util.LinkedHashMap<>();
        List<OfferInput> alone = new ArrayList<>();
        Set<List<Object>> seen = new java.util.HashSet<>();
        for (OfferInput in : inputs) {
            if (!seen.add(List.of(in.pool(), in.mac()))) {
                continue;
            }
            AddressPool p = poolOrFail(in.pool());
            if (in.requested() != null && !in.requestedExcluded() && inRange(in.requested(), first(p), size(p))) {
                alone.add(in);
            } else {
                batched.computeIfAbsent(List.of(in.pool(), in.excluded()), k -> new ArrayList<>()).add(in);
            }
        }
        for (OfferInput in : alone) {
            AddressPool p = poolOrFail(in.pool());
            Map<String, Object> r = own(sql, in, p);
            if (r == null) {
                r = sql.take(in.pool(), in.requested(), in.mac().toString(), "OFFERED", p.offerSeconds());
            }
            if (r == null) {
                r = search(sql, in, p);
            }
            found.put(List.of(in.pool(), in.mac()), r);
        }
        for (List<OfferInput> g : batched.values()) {
            OfferInput one = g.get(0);
            AddressPool p = poolOrFail(one.pool());
            String macs = "{" + String.join(",", g.stream().map(i -> i.mac().toString()).toList()) + "}";
            String starts = "{" + String.join(",", g.stream().map(i -> String.valueOf(start(i.mac(), p))).toList()) + "}";
            for (Map<String, Object> row : sql.ownOrFreshAll(one.pool(), macs, starts, p.firstAddress(), WINDOW, size(p),
                    p.offerSeconds(), one.excluded())) {
                found.put(List.of(one.pool(), MacAddress.parse(Rows.str(row, "mac"))), row);
            }
            for (OfferInput in : g) {
                // none: the window is full, or its candidate went to another instance, most often one answering
                // the same broadcast for this very MAC (both start at its hash), and then both offer that address
                found.computeIfAbsent(List.of(in.pool(), in.mac()), k -> search(sql, in, p));
            }
        }
        return inputs.stream().map(i -> found.get(List.of(i.pool(), i.mac()))).toList();
    };

    /** The whole pool, window after window from the MAC's hash, for its own address or a free one; null when none is free. */
    private Map<String, Object> search(Mappers.PoolSql sql, OfferInput in, AddressPool p) {
        long size = size(p);
        long start = start(in.mac(), p);
        for (long from = 0; from < size; from += WINDOW) {
            List<Map<String, Object>> rows = sql.ownOrFresh(in.pool(), in.mac().toString(), p.firstAddress(), start, from, WINDOW, size,
                    p.offerSeconds(), in.excluded());
            if (!rows.isEmpty()) {
                return rows.get(0);
            }
            Map<String, Object> own = own(sql, in, p);
            if (own != null) {
                return own;
            }
            if (from == 0 && sql.held(in.pool(), in.excluded(), p.firstAddress(), p.lastAddress()) >= size) {
                return null; // a full pool is said at once, not after a search of every window
            }
        }
        return null;
    }

    /** The MAC's own address again: its offer, its binding, or one it released or let run out that nobody took since. */
    private static Map<String, Object> own(Mappers.PoolSql sql, OfferInput in, AddressPool p) {
        List<Map<String, Object>> rows = sql.sticky(in.pool(), in.mac().toString(), p.offerSeconds(), in.excluded());
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Where a MAC's search starts: its hash, so that two instances answering one broadcast try the same address. */
    private static long start(MacAddress mac, AddressPool p) {
        return Math.floorMod(Arrays.hashCode(mac.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)) * 0x9E3779B1L, size(p));
    }

    private static long first(AddressPool p) {
        return v4quiet(p.firstAddress());
    }

    private static long size(AddressPool p) {
        return v4quiet(p.lastAddress()) - v4quiet(p.firstAddress()) + 1;
    }

    /** An address of a stored pool, which was checked when the pool was. */
    private static long v4quiet(String address) {
        try {
            return v4("address", address);
        } catch (StoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public CompletionStage<Optional<PoolLease>> bind(String pool, MacAddress mac, String address) {
        // another instance may have offered this MAC a different address: that one goes back, in the same statement
        return group.submit(mac.toString(), binds, new BindInput(pool, mac, address), true)
                .thenApply(r -> Optional.ofNullable(r).map(PgAddressPools::lease));
    }

    private record BindInput(String pool, MacAddress mac, String address) {
    }

    /** REQUESTs of one pool in one statement; a second MAC asking for an address of the batch binds alone after it (and gets its NAK). */
    private final GroupCommit.Batch<BindInput, Map<String, Object>> binds = (s, inputs) -> {
        Mappers.PoolSql sql = s.getMapper(Mappers.PoolSql.class);
        Map<BindInput, Map<String, Object>> found = new java.util.HashMap<>();
        Map<String, List<BindInput>> groups = new java.util.LinkedHashMap<>();
        List<BindInput> again = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (BindInput in : inputs) {
            AddressPool p = poolOrFail(in.pool());
            if (!inRange(in.address(), first(p), size(p))) {
                continue; // not the pool's: a NAK
            }
            if (seen.add(in.pool() + " " + in.address())) {
                groups.computeIfAbsent(in.pool(), k -> new ArrayList<>()).add(in);
            } else {
                again.add(in);
            }
        }
        for (List<BindInput> g : groups.values()) {
            BindInput one = g.get(0);
            String addresses = "{" + String.join(",", g.stream().map(BindInput::address).toList()) + "}";
            String macs = "{" + String.join(",", g.stream().map(i -> i.mac().toString()).toList()) + "}";
            Map<MacAddress, Map<String, Object>> rows = new java.util.HashMap<>();
            for (Map<String, Object> row : sql.bindAll(one.pool(), addresses, macs, poolOrFail(one.pool()).leaseSeconds())) {
                rows.put(MacAddress.parse(Rows.str(row, "mac")), row);
            }
            for (BindInput in : g) {
                Map<String, Object> row = rows.get(in.mac());
                if (row != null && in.address().equals(Rows.str(row, "address"))) {
                    found.put(in, row);
                }
            }
        }
        for (BindInput in : again) {
            Map<String, Object> row = sql.bind(in.pool(), in.address(), in.mac().toString(), poolOrFail(in.pool()).leaseSeconds());
            if (row != null) {
                found.put(in, row);
            }
        }
        return inputs.stream().map(found::get).toList();
    };

    @Override
    public CompletionStage<Void> release(String pool, MacAddress mac, String address) {
        return group.submit(mac.toString(), s -> {
            s.getMapper(Mappers.PoolSql.class).release(pool, mac.toString(), address);
            return null;
        }, true);
    }

    @Override
    public CompletionStage<Void> decline(String pool, MacAddress mac, String address, Duration probation) {
        return group.submit(mac.toString(), s -> {
            s.getMapper(Mappers.PoolSql.class).decline(pool, mac.toString(), address, Math.max(1, probation.toSeconds()));
            return null;
        }, true);
    }

    @Override
    public Optional<PoolLease> holder(String address) throws StoreException {
        v4("address", address);
        Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.PoolSql.class).holder(address));
        return r == null ? Optional.empty() : Optional.of(lease(r));
    }

    @Override
    public List<PoolLease> leases(String pool) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.PoolSql.class).leases(pool).stream().map(PgAddressPools::lease).toList());
    }

    /**
     * The pool, from a cache of {@link #POOL_CACHE_NANOS}: every DISCOVER and REQUEST needs it, and
     * pools change seldom (a change made here is seen at once, one made by another instance within
     * the cache's time).
     */
    private AddressPool poolOrFail(String name) throws StoreException {
        Cached c = cache.get(name);
        if (c != null && System.nanoTime() - c.at() < POOL_CACHE_NANOS) {
            return c.pool();
        }
        AddressPool p = db.tx(s -> pool(s.getMapper(Mappers.PoolSql.class).pool(name)));
        if (p == null) {
            cache.remove(name);
            throw new StoreException(Reason.NOT_FOUND, "no pool " + name);
        }
        cache.put(name, new Cached(p, System.nanoTime()));
        return p;
    }

    /** How long a pool read from the database is used before it is read again. */
    static final long POOL_CACHE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    private record Cached(AddressPool pool, long at) {
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean inRange(String address, long first, long size) {
        try {
            long a = v4("address", address);
            return a >= first && a < first + size;
        } catch (StoreException e) {
            return false;
        }
    }

    /** An IPv4 address as a number. */
    static long v4(String field, String text) throws StoreException {
        try {
            if (text == null || !text.matches("[0-9.]+")) {
                throw new UnknownHostException(text);
            }
            InetAddress a = InetAddress.getByName(text);
            if (!(a instanceof Inet4Address)) {
                throw new UnknownHostException(text);
            }
            byte[] b = a.getAddress();
            return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
        } catch (UnknownHostException e) {
            throw new StoreException(Reason.INVALID, field + " '" + text + "' is not an IPv4 address");
        }
    }

    /** A CIDR's network and mask. */
    static long[] subnet(String cidr) throws StoreException {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new StoreException(Reason.INVALID, "subnet '" + cidr + "' is not a CIDR block (10.0.8.0/24)");
        }
        long net = v4("subnet", cidr.substring(0, slash));
        int bits;
        try {
            bits = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits < 8 || bits > 30) {
            throw new StoreException(Reason.INVALID, "subnet '" + cidr + "': a prefix of 8 to 30 bits");
        }
        long mask = (0xffffffffL << (32 - bits)) & 0xffffffffL;
        if ((net & mask) != net) {
            throw new StoreException(Reason.INVALID, "subnet '" + cidr + "' has host bits set");
        }
        return new long[] {net, mask};
    }

    private static AddressPool pool(Map<String, Object> r) {
        if (r == null) {
            return null;
        }
        return new AddressPool(Rows.str(r, "name"), Rows.str(r, "subnet"), Rows.str(r, "first_address"), Rows.str(r, "last_address"),
                split(Rows.str(r, "relays")), Rows.str(r, "router"), split(Rows.str(r, "dns")), Rows.integer(r, "lease_seconds"),
                Rows.integer(r, "offer_seconds"));
    }

    private static List<String> split(String s) {
        return s == null || s.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(s.split(",")));
    }

    private static PoolLease lease(Map<String, Object> r) {
        String mac = Rows.str(r, "mac");
        return new PoolLease(Rows.str(r, "pool"), Rows.str(r, "address"), mac == null ? null : MacAddress.parse(mac),
                PoolLease.State.valueOf(Rows.str(r, "state")), Rows.instant(r, "expires_at"));
    }
}
