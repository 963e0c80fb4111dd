package io.ironbell.store.internal;

import io.ironbell.api.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.Semaphore;

/**
 * Group commit for small independent units of work: the units that arrive while a transaction
 * commits run together in the next one, so that a burst of DHCP exchanges pays for one commit (one
 * WAL flush, one round trip for BEGIN and COMMIT) instead of one each. No thread of its own and no
 * added wait: a caller that finds fewer than {@code parallel} batches running runs the waiting ones (flat combining), and a
 * lone caller runs alone at once.
 *
 * <p>Each unit must be one statement that cannot fail on its own data (an {@code ON CONFLICT}
 * insert, a guarded update): a batch whose transaction fails anyway (a deadlock with another
 * instance's batch, a lost connection) is run again one unit per transaction, as without batching,
 * so a unit's result never depends on which others shared its transaction.
 */
final class GroupCommit {

    /** Units one transaction takes at most. */
    static final int MAX = 64;

    private final Database db;
    private final ConcurrentLinkedQueue<Unit<?>> waiting = new ConcurrentLinkedQueue<>();
    /** Batches that run at once, each on a connection of its own: one alone would wait out every statement's round trip in turn. */
    private final Semaphore running;
    final LongAdder transactions = new LongAdder();
    final LongAdder units = new LongAdder();
    final LongAdder fallbacks = new LongAdder();

    GroupCommit(Database db, int parallel) {
        this.db = db;
        this.running = new Semaphore(parallel);
    }

    private static final class Unit<T> {
        final String order;
        final Database.Work<T> work;
        final Thread caller = Thread.currentThread();
        volatile boolean done;
        T result;
        StoreException failure;

        Unit(String order, Database.Work<T> work) {
            this.order = order;
            this.work = work;
        }

        void finish(T value, StoreException problem) {
            result = value;
            failure = problem;
            done = true;
            LockSupport.unpark(caller);
        }
    }

    /**
     * Runs the work in a transaction it may share with others, and returns once that has committed.
     *
     * @param order where the work goes in its batch: units that lock the same rows (one MAC's lease)
     *              must have the same key, so that two instances' batches take their locks in one
     *              order and do not deadlock
     */
    <T> T run(String order, Database.Work<T> work) throws StoreException {
        Unit<T> u = new Unit<>(order, work);
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
                Unit<?> next = waiting.peek();
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
        List<Unit<?>> batch = new ArrayList<>();
        for (Unit<?> u; batch.size() < MAX && (u = waiting.poll()) != null; ) {
            batch.add(u);
        }
        if (batch.isEmpty()) {
            return;
        }
        batch.sort(java.util.Comparator.comparing(u -> u.order));
        List<Object> results = new ArrayList<>(batch.size());
        try {
            db.tx(s -> {
                results.clear();
                for (Unit<?> u : batch) {
                    results.add(u.work.run(s));
                }
                return null;
            });
        } catch (StoreException | RuntimeException e) {
            // rolled back whole: each unit alone, so that one unit's trouble is its own
            fallbacks.increment();
            for (Unit<?> u : batch) {
                alone(u);
            }
            return;
        }
        transactions.increment();
        units.add(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            finish(batch.get(i), results.get(i));
        }
    }

    private static <T> void alone(Unit<T> u, Database db) {
        try {
            u.finish(db.tx(u.work), null);
        } catch (StoreException e) {
            u.finish(null, e);
        } catch (RuntimeException e) {
            u.finish(null, new StoreException(StoreException.Reason.UNAVAILABLE, String.valueOf(e.getMessage())));
        }
    }

    private void alone(Unit<?> u) {
        alone(u, db);
    }

    @SuppressWarnings("unchecked")
    private static <T> void finish(Unit<T> u, Object result) {
        u.finish((T) result, null);
    }
}
