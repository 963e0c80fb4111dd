package io.ironbell.store.internal;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.hardware.MacAddress;
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
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Pools in {@code dhcp_pool}, leases in {@code dhcp_lease} (Kea's model: one row per address in
 * use, an insert that loses on the primary key lost the address). A MAC's search starts at its
 * hash, so two instances that hear one broadcast try the same address and one of them wins it.
 */
@Component(service = AddressPools.class)
public final class PgAddressPools implements AddressPools {

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
        this.group = new GroupCommit(db, 1);
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
    public Optional<PoolLease> offer(String pool, MacAddress mac, String requested, Set<String> excluded) throws StoreException {
        AddressPool p = poolOrFail(pool);
        String ex = "{" + String.join(",", excluded) + "}";
        long first = v4("firstAddress", p.firstAddress());
        long size = v4("lastAddress", p.lastAddress()) - first + 1;
        // one statement per unit of the group commit, the units of a batch in MAC order: two instances
        // serving the same MACs take their rows' locks in one order
        if (requested != null && inRange(requested, first, size) && !excluded.contains(requested)) {
            Optional<PoolLease> own = own(pool, mac, p, ex);
            if (own.isPresent()) {
                return own;
            }
            Map<String, Object> r = group.run(mac.toString(), s -> s.getMapper(Mappers.PoolSql.class).take(pool, requested, mac.toString(), "OFFERED",
                    p.offerSeconds()));
            if (r != null) {
                return Optional.of(lease(r));
            }
        }
        long start = Math.floorMod(Arrays.hashCode(mac.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)) * 0x9E3779B1L, size);
        // the common case, with the other DISCOVERs of this moment in one statement
        Map<String, Object> batched = group.run(mac.toString(), offers, new OfferInput(pool, p, mac, start, ex));
        if (batched != null) {
            return Optional.of(lease(batched));
        }
        for (long from = 0; from < size; from += WINDOW) {
            long window = from;
            // the common case in one round trip: its own address again, or a free one of the window
            List<Map<String, Object>> rows = group.run(mac.toString(), s -> s.getMapper(Mappers.PoolSql.class).ownOrFresh(pool, mac.toString(), p.firstAddress(),
                    start, window, WINDOW, size, p.offerSeconds(), ex));
            if (!rows.isEmpty()) {
                return Optional.of(lease(rows.get(0)));
            }
            // none: the window is full, or its candidate went to another instance, most often one answering
            // the same broadcast for this very MAC (both start at its hash), and then both offer that address
            Optional<PoolLease> own = own(pool, mac, p, ex);
            if (own.isPresent()) {
                return own;
            }
            if (from == 0 && group.run("", s -> s.getMapper(Mappers.PoolSql.class).held(pool)) + excluded.size() >= size) {
                return Optional.empty(); // a full pool is said at once, not after a search of every window
            }
        }
        return Optional.empty();
    }

    /** The MAC's own address again: its offer, its binding, or one it released or let run out that nobody took since. */
    private Optional<PoolLease> own(String pool, MacAddress mac, AddressPool p, String excluded) throws StoreException {
        List<Map<String, Object>> rows = group.run(mac.toString(), s -> s.getMapper(Mappers.PoolSql.class).sticky(pool, mac.toString(), p.offerSeconds(),
                excluded));
        return rows.isEmpty() ? Optional.empty() : Optional.of(lease(rows.get(0)));
    }

    @Override
    public Optional<PoolLease> bind(String pool, MacAddress mac, String address) throws StoreException {
        AddressPool p = poolOrFail(pool);
        long first = v4("firstAddress", p.firstAddress());
        long size = v4("lastAddress", p.lastAddress()) - first + 1;
        if (!inRange(address, first, size)) {
            return Optional.empty();
        }
        // another instance may have offered this MAC a different address: that one goes back, in the same statement
        Map<String, Object> r = group.run(mac.toString(), binds, new BindInput(pool, p, mac, address));
        return r == null ? Optional.empty() : Optional.of(lease(r));
    }

    /** A DISCOVER's first search: the MAC's own address, or the first free one of the window from its hash. */
    private record OfferInput(String pool, AddressPool p, MacAddress mac, long start, String excluded) {
    }

    /** DISCOVERs of one pool (and one set of excluded addresses) in one statement; a MAC left without an answer searches alone. */
    private final GroupCommit.Batch<OfferInput, Map<String, Object>> offers = (s, inputs) -> {
        Mappers.PoolSql sql = s.getMapper(Mappers.PoolSql.class);
        Map<MacAddress, Map<String, Object>> found = new java.util.HashMap<>();
        Map<List<String>, List<OfferInput>> groups = new java.util.LinkedHashMap<>();
        for (OfferInput in : inputs) {
            groups.computeIfAbsent(List.of(in.pool(), in.excluded()), k -> new ArrayList<>()).add(in);
        }
        for (List<OfferInput> g : groups.values()) {
            OfferInput one = g.get(0);
            long size = v4("lastAddress", one.p().lastAddress()) - v4("firstAddress", one.p().firstAddress()) + 1;
            String macs = "{" + String.join(",", g.stream().map(i -> i.mac().toString()).toList()) + "}";
            String starts = "{" + String.join(",", g.stream().map(i -> String.valueOf(i.start())).toList()) + "}";
            for (Map<String, Object> row : sql.ownOrFreshAll(one.pool(), macs, starts, one.p().firstAddress(), WINDOW, size,
                    one.p().offerSeconds(), one.excluded())) {
                found.put(MacAddress.parse(Rows.str(row, "mac")), row);
            }
        }
        return inputs.stream().map(i -> found.get(i.mac())).toList();
    };

    private record BindInput(String pool, AddressPool p, MacAddress mac, String address) {
    }

    /** REQUESTs of one pool in one statement; a second MAC asking for an address of the batch binds alone after it (and gets its NAK). */
    private final GroupCommit.Batch<BindInput, Map<String, Object>> binds = (s, inputs) -> {
        Mappers.PoolSql sql = s.getMapper(Mappers.PoolSql.class);
        Map<MacAddress, Map<String, Object>> found = new java.util.HashMap<>();
        Map<String, List<BindInput>> groups = new java.util.LinkedHashMap<>();
        List<BindInput> again = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (BindInput in : inputs) {
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
            for (Map<String, Object> row : sql.bindAll(one.pool(), addresses, macs, one.p().leaseSeconds())) {
                found.put(MacAddress.parse(Rows.str(row, "mac")), row);
            }
        }
        for (BindInput in : again) {
            Map<String, Object> row = sql.bind(in.pool(), in.address(), in.mac().toString(), in.p().leaseSeconds());
            if (row != null) {
                found.put(in.mac(), row);
            }
        }
        return inputs.stream().map(i -> found.get(i.mac())).toList();
    };

    @Override
    public void release(String pool, MacAddress mac, String address) throws StoreException {
        group.run(mac.toString(), s -> s.getMapper(Mappers.PoolSql.class).release(pool, mac.toString(), address));
    }

    @Override
    public void decline(String pool, MacAddress mac, String address, Duration probation) throws StoreException {
        group.run(mac.toString(), s -> s.getMapper(Mappers.PoolSql.class).decline(pool, mac.toString(), address, Math.max(1, probation.toSeconds())));
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
