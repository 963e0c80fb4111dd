package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Address pools on a real PostgreSQL: RFC 2131's lease life, and two instances that never bind one address to two MACs. */
class PgAddressPoolsTest {

    private static MacAddress mac(int i) {
        return MacAddress.parse(String.format("02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
    }

    @Test
    void poolsAreCheckedAndLeasesLiveAsRfc2131Says() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            PgAddressPools pools = new PgAddressPools(t.start(Map.of()));
            assertTrue(assertThrows(StoreException.class, () -> pools.putPool(new AddressPool("lab", "10.9.0.0/24", "10.9.1.10", "10.9.0.20",
                    null, null, null, 0, 0))).getMessage().contains("after lastAddress"));
            assertTrue(assertThrows(StoreException.class, () -> pools.putPool(new AddressPool("lab", "10.9.0.0/24", "10.9.0.10", "10.9.1.20",
                    null, null, null, 0, 0))).getMessage().contains("must lie in subnet"));
            assertTrue(assertThrows(StoreException.class, () -> pools.putPool(new AddressPool("lab", "10.9.0.1/24", "10.9.0.10", "10.9.0.20",
                    null, null, null, 0, 0))).getMessage().contains("host bits"));
            AddressPool lab = pools.putPool(new AddressPool("lab", "10.9.0.0/24", "10.9.0.10", "10.9.0.13", List.of("10.9.5.1"), "10.9.0.1",
                    List.of("10.9.0.2"), 600, 30));
            assertEquals(List.of("10.9.5.1"), lab.relays());
            assertEquals("10.9.0.0/24", lab.subnet());

            PoolLease a = AddressPools.await(pools.offer("lab", mac(1), null, Set.of())).orElseThrow();
            assertEquals(PoolLease.State.OFFERED, a.state());
            assertEquals(a.address(), AddressPools.await(pools.offer("lab", mac(1), null, Set.of())).orElseThrow().address(), "the same offer again");
            PoolLease bound = AddressPools.await(pools.bind("lab", mac(1), a.address())).orElseThrow();
            assertEquals(PoolLease.State.BOUND, bound.state());
            assertTrue(AddressPools.await(pools.bind("lab", mac(2), a.address())).isEmpty(), "another MAC's address: NAK");
            PoolLease b = AddressPools.await(pools.offer("lab", mac(2), a.address(), Set.of())).orElseThrow();
            assertNotEquals(a.address(), b.address(), "a bound address is not offered to another MAC even when asked for");
            PoolLease c = AddressPools.await(pools.offer("lab", mac(3), "10.9.0.13", Set.of())).orElseThrow();
            assertEquals("10.9.0.13", c.address(), "a free requested address");

            // released: free for others, still this MAC's first choice
            AddressPools.await(pools.release("lab", mac(1), a.address()));
            assertEquals(a.address(), AddressPools.await(pools.offer("lab", mac(1), null, Set.of())).orElseThrow().address());
            // declined: nobody's during its probation
            AddressPools.await(pools.decline("lab", mac(3), "10.9.0.13", Duration.ofHours(1)));
            PoolLease d = AddressPools.await(pools.offer("lab", mac(4), null, Set.of())).orElseThrow();
            assertNotEquals("10.9.0.13", d.address());
            assertTrue(AddressPools.await(pools.offer("lab", mac(5), null, Set.of())).isEmpty(), "4 addresses: 3 held, 1 declined");
            assertTrue(AddressPools.await(pools.offer("lab", mac(6), null, Set.of())).isEmpty());
            // an offer that ran out frees its address
            try (Connection conn = t.connect(); Statement st = conn.createStatement()) {
                st.execute("UPDATE dhcp_lease SET expires_at = now() - interval '1 second' WHERE address = '" + b.address() + "'");
            }
            assertEquals(b.address(), AddressPools.await(pools.offer("lab", mac(5), null, Set.of())).orElseThrow().address());
            // excluded addresses (a reservation) are never chosen
            pools.putPool(new AddressPool("two", "10.9.2.0/24", "10.9.2.10", "10.9.2.11", null, null, null, 600, 30));
            assertEquals("10.9.2.11", AddressPools.await(pools.offer("two", mac(7), "10.9.2.10", Set.of("10.9.2.10"))).orElseThrow().address());
            assertEquals(PoolLease.State.DECLINED, pools.leases("lab").stream().filter(l -> l.address().equals("10.9.0.13")).findFirst()
                    .orElseThrow().state());
        }
    }

    @Test
    void twoInstancesNeverBindOneAddressToTwoMacs() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database one = t.start(Map.of());
            Database two = t.start(Map.of());
            try {
                PgAddressPools a = new PgAddressPools(one);
                PgAddressPools b = new PgAddressPools(two);
                a.putPool(new AddressPool("race", "10.20.0.0/22", "10.20.0.10", "10.20.3.250", null, null, null, 600, 30));
                int macs = 600;
                Map<String, String> boundBy = new ConcurrentHashMap<>();
                ConcurrentLinkedQueue<String> clashes = new ConcurrentLinkedQueue<>();
                CountDownLatch go = new CountDownLatch(1);
                java.util.concurrent.atomic.AtomicInteger same = new java.util.concurrent.atomic.AtomicInteger();
                List<Thread> threads = new ArrayList<>();
                java.util.concurrent.ExecutorService both = java.util.concurrent.Executors.newFixedThreadPool(16);
                for (int th = 0; th < 8; th++) {
                    int from = th * (macs / 8);
                    Thread thread = new Thread(() -> {
                        try {
                            go.await();
                            for (int i = from; i < from + macs / 8; i++) {
                                MacAddress m = mac(i);
                                // a DISCOVER both instances hear: each offers at the same moment
                                java.util.concurrent.Future<Optional<PoolLease>> fa = both.submit(() -> AddressPools.await(a.offer("race", m, null, Set.of())));
                                java.util.concurrent.Future<Optional<PoolLease>> fb = both.submit(() -> AddressPools.await(b.offer("race", m, null, Set.of())));
                                PoolLease oa = fa.get().orElseThrow();
                                PoolLease ob = fb.get().orElseThrow();
                                // the client REQUESTs one offer (here the lower address); the other instance lets its own go
                                boolean pickA = oa.address().compareTo(ob.address()) <= 0;
                                PgAddressPools chosen = pickA ? a : b;
                                PoolLease picked = pickA ? oa : ob;
                                PoolLease other = pickA ? ob : oa;
                                if (!other.address().equals(picked.address())) {
                                    (pickA ? b : a).release("race", m, other.address());
                                }
                                Optional<PoolLease> bound = AddressPools.await(chosen.bind("race", m, picked.address()));
                                if (bound.isEmpty()) {
                                    clashes.add("NAK for " + m + " at " + picked.address());
                                    continue;
                                }
                                String prev = boundBy.putIfAbsent(bound.get().address(), m.toString());
                                if (prev != null && !prev.equals(m.toString())) {
                                    clashes.add(bound.get().address() + " " + prev + " " + m);
                                }
                                if (oa.address().equals(ob.address())) {
                                    same.incrementAndGet();
                                }
                            }
                        } catch (Exception e) {
                            clashes.add(e.toString());
                        }
                    });
                    thread.start();
                    threads.add(thread);
                }
                go.countDown();
                for (Thread th : threads) {
                    th.join();
                }
                assertEquals(List.of(), new ArrayList<>(clashes), "no address bound to two MACs, no error");
                Map<String, Integer> perMac = new HashMap<>();
                for (PoolLease l : a.leases("race")) {
                    if (l.state() == PoolLease.State.BOUND) {
                        perMac.merge(l.mac().toString(), 1, Integer::sum);
                    }
                }
                assertEquals(macs, perMac.size(), "every MAC bound");
                assertTrue(perMac.values().stream().allMatch(n -> n == 1), "one binding per MAC");
                System.out.println("PgAddressPoolsTest: " + macs + " MACs offered by two instances at once, " + same.get()
                        + " of them the same address by both; every binding unique; instance a: " + a.group.units.sum() + " units in "
                        + a.group.transactions.sum() + " transactions, " + a.group.fallbacks.sum() + " batches run again unit by unit");
                assertTrue(a.group.transactions.sum() < a.group.units.sum(), "eight callers at once share transactions");
            } finally {
                one.deactivate();
                two.deactivate();
            }
        }
    }
}
