package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.store.StoreException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Group commit on a real PostgreSQL: units share transactions, each gets its own result, and one unit's failure stays its own. */
class GroupCommitTest {

    private static void sql(Database db, String statement) throws StoreException {
        db.tx(s -> {
            try (Statement st = s.getConnection().createStatement()) {
                st.execute(statement);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
    }

    /** Inserts a row and returns the number of rows in the table as this transaction sees it. */
    private static Database.Work<Integer> insert(int n) {
        return s -> {
            try (Statement st = s.getConnection().createStatement()) {
                st.execute("INSERT INTO gc_probe (n, tx) VALUES (" + n + ", txid_current())");
                return n;
            } catch (java.sql.SQLException e) {
                throw new StoreException(StoreException.Reason.CONFLICT, e.getMessage());
            }
        };
    }

    private static long count(Database db, String query) throws StoreException {
        return db.tx(s -> {
            try (Statement st = s.getConnection().createStatement(); var rs = st.executeQuery(query)) {
                rs.next();
                return rs.getLong(1);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void concurrentUnitsShareCommitsAndAFailingUnitFailsAlone() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of());
            sql(db, "CREATE TABLE gc_probe (n int PRIMARY KEY, tx bigint NOT NULL)");
            GroupCommit group = new GroupCommit(db, "test");
            int threads = 32;
            int each = 50;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            Map<Integer, Integer> results = new ConcurrentHashMap<>();
            List<Future<?>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                int from = th * each;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = from; i < from + each; i++) {
                        results.put(i, group.run(String.valueOf(i), insert(i)));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            int units = threads * each;
            assertEquals(units, results.size());
            results.forEach((k, v) -> assertEquals(k, v, "each unit gets its own result"));
            assertEquals(units, count(db, "SELECT count(*) FROM gc_probe"), "every unit committed");
            long transactions = count(db, "SELECT count(DISTINCT tx) FROM gc_probe");
            assertEquals(group.transactions.sum(), transactions);
            assertTrue(transactions < units / 4, "32 callers at once share commits: " + transactions + " transactions for " + units + " units");

            // a unit that fails (a duplicate key) in a batch: the batch runs again unit by unit, the others commit
            CountDownLatch again = new CountDownLatch(1);
            List<Future<Integer>> mixed = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int n = i == 7 ? 3 : 10_000 + i; // 3 is there already
                mixed.add(pool.submit(() -> {
                    again.await();
                    return group.run(String.valueOf(n), insert(n));
                }));
            }
            again.countDown();
            int failed = 0;
            for (int i = 0; i < threads; i++) {
                if (i == 7) {
                    int idx = i;
                    StoreException e = (StoreException) assertThrows(java.util.concurrent.ExecutionException.class,
                            () -> mixed.get(idx).get(60, TimeUnit.SECONDS)).getCause();
                    assertTrue(e.getMessage().contains("duplicate key"), e.getMessage());
                    failed++;
                } else {
                    assertEquals(10_000 + i, mixed.get(i).get(60, TimeUnit.SECONDS));
                }
            }
            assertEquals(1, failed);
            assertEquals(units + threads - 1, count(db, "SELECT count(*) FROM gc_probe"), "the others committed, nothing twice");

            // units that may be lost commit without waiting for the disk, the others wait, also when they share a moment
            Database.Work<String> setting = s -> {
                try (Statement st = s.getConnection().createStatement(); var rs = st.executeQuery("SHOW synchronous_commit")) {
                    rs.next();
                    return rs.getString(1);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            var soft = group.submit("a", setting, false);
            var durable = group.submit("b", setting, true);
            assertEquals("off", AddressPools.await(soft));
            assertEquals("on", AddressPools.await(durable));
            pool.shutdownNow();
            group.close();
            StoreException closed = assertThrows(StoreException.class, () -> AddressPools.await(group.submit("c", setting, true)));
            assertEquals(StoreException.Reason.UNAVAILABLE, closed.reason());
        }
    }
}
