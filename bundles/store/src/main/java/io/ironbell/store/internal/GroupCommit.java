package io.ironbell.store.internal;

import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.store.StoreException;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.ibatis.session.SqlSession;

/**
 * Group commit for small independent units of work, on a thread of its own: the units that
 * arrive while a transaction runs go together into the next one, so that a burst of DHCP
 * exchanges pays for one commit (one WAL flush, one round trip for BEGIN and COMMIT) instead of
 * one each, and units of one {@link Batch} kind run as one statement over arrays. Callers do not
 * wait: {@link #submit} answers a future that this thread completes, so a server answering a herd
 * parks no thread per exchange (64 threads parked on commits spent a third of the CPU switching).
 *
 * <p>Units that may be lost in a crash ({@code durable} false: a DHCP offer, which the client's
 * REQUEST binds anyway) commit without waiting for the WAL flush ({@code synchronous_commit off});
 * PostgreSQL still keeps them in order, so a durable commit after them makes them durable too.
 *
 * <p>A unit must not fail on its own data (an {@code ON CONFLICT} insert, a guarded update): a
 * batch whose transaction fails anyway (a deadlock with another instance's batch, two units that
 * touched one row, a lost connection) is run again one unit per transaction, as without batching,
 * so a unit's result never depends on which others shared its transaction.
 */
final class GroupCommit implements AutoCloseable {

    /** Units one transaction takes at most. */
    static final int MAX = 256;

    /**
     * Units of one kind, run together in one transaction: one result per input, in order.
     *
     * @param <I> what one unit asks
     * @param <O> what it gets; {@code null} is an answer too
     */
    @FunctionalInterface
    interface Batch<I, O> {
        List<O> runAll(SqlSession session, List<I> inputs) throws StoreException;
    }

    /** Work that is not a batch kind: its units run one after the other, sharing the commit. */
    private static final Batch<Database.Work<?>, Object> EACH = (s, works) -> {
        List<Object> out = new ArrayList<>(works.size());
        for (Database.Work<?> w : works) {
            out.add(w.run(s));
        }
        return out;
    };

    private final Database db;
    private final LinkedBlockingQueue<Unit<?, ?>> waiting = new LinkedBlockingQueue<>();
    private final Thread committer;
    private volatile boolean closed;
    final LongAdder transactions = new LongAdder();
    final LongAdder units = new LongAdder();
    final LongAdder fallbacks = new LongAdder();

    GroupCommit(Database db, String name) {
        this.db = db;
        this.committer = new Thread(this::commitLoop, "ironbell-group-commit-" + name);
        committer.setDaemon(true);
        committer.start();
    }

    private record Unit<I, O>(String order, Batch<I, O> batch, I input, boolean durable, CompletableFuture<O> result) {
        @SuppressWarnings("unchecked")
        void finishWith(Object value) {
            result.complete((O) value);
        }
    }

    /**
     * Runs one input of a batch kind together with the others waiting now.
     *
     * @param order   where the unit goes in its batch: units that lock the same rows (one MAC's lease)
     *                must have the same key, so that two instances' batches take their locks in one
     *                order and do not deadlock
     * @param durable whether the commit waits for the WAL flush
     * @return its result once committed, completed on the group's thread (or failed with a
     *         {@link StoreException}): never block that thread in a callback
     */
    <I, O> CompletableFuture<O> submit(String order, Batch<I, O> batch, I input, boolean durable) {
        CompletableFuture<O> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new StoreException(StoreException.Reason.UNAVAILABLE, "the store is stopping"));
            return result;
        }
        waiting.add(new Unit<>(order, batch, input, durable, result));
        return result;
    }

    /** Runs the work in a transaction it may share with others; see {@link #submit(String, Batch, Object, boolean)}. */
    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> submit(String order, Database.Work<T> work, boolean durable) {
        return (CompletableFuture<T>) submit(order, EACH, work, durable);
    }

    /** Runs the work, durably, in a transaction it may share with others; returns once that has committed. */
    @SuppressWarnings("unchecked")
    <T> T run(String order, Database.Work<T> work) throws StoreException {
        if (Thread.currentThread() == committer) {
            return db.tx(work); // a callback of this thread: waiting for the thread itself would never end
        }
        return (T) AddressPools.await(submit(order, EACH, work, true));
    }

    /** Stops the thread; units still waiting fail as unavailable. */
    @Override
    public void close() {
        closed = true;
        committer.interrupt();
        try {
            committer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Unit<?, ?> u; (u = waiting.poll()) != null; ) {
            u.result().completeExceptionally(new StoreException(StoreException.Reason.UNAVAILABLE, "the store is stopping"));
        }
    }

    private void commitLoop() {
        List<Unit<?, ?>> batch = new ArrayList<>();
        while (!closed) {
            try {
                Unit<?, ?> first = waiting.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                waiting.drainTo(batch, MAX - 1);
                List<Unit<?, ?>> soft = new ArrayList<>();
                List<Unit<?, ?>> durable = new ArrayList<>();
                for (Unit<?, ?> u : batch) {
                    (u.durable() ? durable : soft).add(u);
                }
                // in arrival order: one client's offer comes before its binding
                runBatch(soft, false);
                runBatch(durable, true);
            } catch (InterruptedException e) {
                if (closed) {
                    break;
                }
            } catch (RuntimeException | Error e) {
                for (Unit<?, ?> u : batch) {
                    u.result().completeExceptionally(e);
                }
            } finally {
                batch.clear();
            }
        }
    }

    private void runBatch(List<Unit<?, ?>> batch, boolean durable) {
        if (batch.isEmpty()) {
            return;
        }
        batch.sort(Comparator.comparing(Unit::order));
        Map<Batch<?, ?>, List<Unit<?, ?>>> kinds = new LinkedHashMap<>();
        for (Unit<?, ?> u : batch) {
            kinds.computeIfAbsent(u.batch(), k -> new ArrayList<>()).add(u);
        }
        Map<Unit<?, ?>, Object> results = new IdentityHashMap<>();
        try {
            db.tx(s -> {
                results.clear();
                if (!durable) {
                    relaxCommit(s);
                }
                for (List<Unit<?, ?>> same : kinds.values()) {
                    List<?> out = runAll(s, same);
                    if (out.size() != same.size()) {
                        throw new IllegalStateException("a batch answered " + out.size() + " results for " + same.size() + " units");
                    }
                    for (int i = 0; i < same.size(); i++) {
                        results.put(same.get(i), out.get(i));
                    }
                }
                return null;
            });
        } catch (StoreException | RuntimeException e) {
            // rolled back whole: each unit alone, so that one unit's trouble is its own
            fallbacks.increment();
            for (Unit<?, ?> u : batch) {
                alone(u);
            }
            return;
        }
        transactions.increment();
        units.add(batch.size());
        for (Unit<?, ?> u : batch) {
            u.finishWith(results.get(u));
        }
    }

    private static void relaxCommit(SqlSession s) {
        try (Statement st = s.getConnection().createStatement()) {
            st.execute("SET LOCAL synchronous_commit TO off");
        } catch (SQLException e) {
            throw new IllegalStateException("synchronous_commit not set: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<?> runAll(SqlSession s, List<Unit<?, ?>> same) throws StoreException {
        Batch batch = same.get(0).batch();
        List inputs = new ArrayList<>(same.size());
        for (Unit<?, ?> u : same) {
            inputs.add(u.input());
        }
        return batch.runAll(s, inputs);
    }

    private <I, O> void alone(Unit<I, O> u) {
        try {
            O value = db.tx(s -> {
                if (!u.durable()) {
                    relaxCommit(s);
                }
                return u.batch().runAll(s, List.of(u.input())).get(0);
            });
            u.result().complete(value);
        } catch (StoreException e) {
            u.result().completeExceptionally(e);
        } catch (RuntimeException e) {
            u.result().completeExceptionally(new StoreException(StoreException.Reason.UNAVAILABLE, String.valueOf(e.getMessage())));
        }
    }
}
