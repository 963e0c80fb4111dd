package io.ironbell.store.internal;

import io.ironbell.api.store.StoreException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.ibatis.session.SqlSession;

/**
 * Group commit for small independent units of work: the units that arrive while a transaction
 * commits run together in the next one, so that a burst of DHCP exchanges pays for one commit (one
 * WAL flush, one round trip for BEGIN and COMMIT) instead of one each, and units of one {@link
 * Batch} kind run as one statement over arrays. No thread of its own and no added wait: a caller
 * that finds fewer than {@code parallel} batches running runs the waiting ones (flat combining),
 * and a lone caller runs alone at once.
 *
 * <p>A unit must not fail on its own data (an {@code ON CONFLICT} insert, a guarded update): a
 * batch whose transaction fails anyway (a deadlock with another instance's batch, two units that
 * touched one row, a lost connection) is run again one unit per transaction, as without batching,
 * so a unit's result never depends on which others shared its transaction.
 */
final class GroupCommit {

    /** Units one transaction takes at most. */
    static final int MAX = 64;

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
    private final ConcurrentLinkedQueue<Unit<?, ?>> waiting = new ConcurrentLinkedQueue<>();
    /** Batches that run at once, each on a connection of its own. */
    private final Semaphore running;
    final LongAdder transactions = new LongAdder();
    final LongAdder units = new LongAdder();
    final LongAdder fallbacks = new LongAdder();

    GroupCommit(Database db, int parallel) {
        this.db = db;
        this.running = new Semaphore(parallel);
    }

    private static final class Unit<I, O> {
        final String order;
        final Batch<I, O> batch;
        final I input;
        final Thread caller = Thread.currentThread();
        volatile boolean done;
        O result;
        StoreException failure;

        Unit(String order, Batch<I, O> batch, I input) {
            this.order = order;
            this.batch = batch;
            this.input = input;
        }

        void finish(O value, StoreException problem) {
            result = value;
            failure = problem;
            done = true;
            LockSupport.unpark(caller);
        }

        @SuppressWarnings("unchecked")
        void finishWith(Object value) {
            finish((O) value, null);
        }
    }

    /**
     * Runs the work in a transaction it may share with others, and returns once that has committed.
     *
     * @param order where the work goes in its batch: units that lock the same rows (one MAC's lease)
     *              must have the same key, so that two instances' batches take their locks in one
     *              order and do not deadlock
     */
    @SuppressWarnings("unchecked")
    <T> T run(String order, Database.Work<T> work) throws StoreException {
        return (T) run(order, EACH, work);
    }

    /** Runs one input of a batch kind together with the others of its kind waiting now, and returns its result once committed. */
    <I, O> O run(String order, Batch<I, O> batch, I input) throws StoreException {
        Unit<I, O> u = new Unit<>(order, batch, input);
        waiting.add(u);
        while (!u.done) {
            if (running.tryAcquire()) {
                try {
                    if (!u.done) {
                        runBatch();
                    }
                } finally {
                    running.release();
                }
                // whoever waits longest runs the next batch now, not after its park times out
                Unit<?, ?> next = waiting.peek();
                if (next != null) {
                    LockSupport.unpark(next.caller);
                }
            } else {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        if (u.failure != null) {
            throw u.failure;
        }
        return u.result;
    }

    private void runBatch() {
        List<Unit<?, ?>> batch = new ArrayList<>();
        for (Unit<?, ?> u; batch.size() < MAX && (u = waiting.poll()) != null; ) {
            batch.add(u);
        }
        if (batch.isEmpty()) {
            return;
        }
        batch.sort(Comparator.comparing(u -> u.order));
        Map<Batch<?, ?>, List<Unit<?, ?>>> kinds = new LinkedHashMap<>();
        for (Unit<?, ?> u : batch) {
            kinds.computeIfAbsent(u.batch, k -> new ArrayList<>()).add(u);
        }
        Map<Unit<?, ?>, Object> results = new java.util.IdentityHashMap<>();
        try {
            db.tx(s -> {
                results.clear();
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

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<?> runAll(SqlSession s, List<Unit<?, ?>> same) throws StoreException {
        Batch batch = same.get(0).batch;
        List inputs = new ArrayList<>(same.size());
        for (Unit<?, ?> u : same) {
            inputs.add(u.input);
        }
        return batch.runAll(s, inputs);
    }

    private <I, O> void alone(Unit<I, O> u) {
        try {
            u.finish(db.tx(s -> u.batch.runAll(s, List.of(u.input)).get(0)), null);
        } catch (StoreException e) {
            u.finish(null, e);
        } catch (RuntimeException e) {
            u.finish(null, new StoreException(StoreException.Reason.UNAVAILABLE, String.valueOf(e.getMessage())));
        }
    }
}
