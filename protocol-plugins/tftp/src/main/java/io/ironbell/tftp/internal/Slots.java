package io.ironbell.tftp.internal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The server's table of transfers: at most {@code total} at once, at most {@code perClient} from
 * one address.
 *
 * <p>A transfer whose client has not answered yet holds its place loosely. Nothing says such a
 * request came from the address it names, and a forged one is never answered; a real client
 * answers its first packet within milliseconds. So when the table is full, the oldest unanswered
 * transfer makes room for the new request, and when the client's share is full, its own oldest
 * unanswered one does. Forged requests then only push each other out, a burst of them cannot
 * keep a real client from starting, and only transfers whose clients answer can fill the table,
 * or an address's share, and have requests refused.
 *
 * <p>Thread-safe: the listener admits, each transfer's event loop marks its slot answered and
 * releases it. The table is touched once per request and twice per transfer, never per block.
 */
final class Slots {

    /**
     * A request's place in the table, or why it has none.
     *
     * @param slot    the place, or null when refused
     * @param refusal {@link Refusal#PER_CLIENT} or {@link Refusal#FULL} when refused, else null
     */
    record Admission(Slot slot, Refusal refusal) {
    }

    private final int total;
    private final int perClient;
    private final Map<InetAddress, List<Slot>> byClient = new HashMap<>();
    private final LinkedHashSet<Slot> unanswered = new LinkedHashSet<>();  // oldest first
    private int size;

    Slots(int total, int perClient) {
        this.total = total;
        this.perClient = perClient;
    }

    /** Finds a place for a transfer to {@code client}, making room when an unanswered transfer can give way. */
    Admission acquire(InetAddress client) {
        Slot victim = null;
        Runnable evict = null;
        Slot slot;
        synchronized (this) {
            List<Slot> mine = byClient.get(client);
            if (mine != null && mine.size() >= perClient) {
                victim = mine.stream().filter(s -> !s.answered).findFirst().orElse(null);
                if (victim == null) {
                    return new Admission(null, Refusal.PER_CLIENT);
                }
            } else if (size >= total) {
                Iterator<Slot> oldest = unanswered.iterator();
                if (!oldest.hasNext()) {
                    return new Admission(null, Refusal.FULL);
                }
                victim = oldest.next();
            }
            if (victim != null) {
                remove(victim);
                victim.evicted = true;
                evict = victim.evictor;
            }
            slot = new Slot(client);
            byClient.computeIfAbsent(client, a -> new ArrayList<>(2)).add(slot);
            unanswered.add(slot);
            size++;
        }
        if (evict != null) {
            evict.run();
        }
        return new Admission(slot, null);
    }

    /** Transfers in the table. */
    synchronized int size() {
        return size;
    }

    /** Transfers in the table for one address. */
    synchronized int size(InetAddress client) {
        List<Slot> mine = byClient.get(client);
        return mine == null ? 0 : mine.size();
    }

    private void remove(Slot s) {
        if (!s.held) {
            return;
        }
        s.held = false;
        unanswered.remove(s);
        List<Slot> mine = byClient.get(s.client);
        mine.remove(s);
        if (mine.isEmpty()) {
            byClient.remove(s.client);
        }
        size--;
    }

    /** One transfer's place. */
    final class Slot {
        private final InetAddress client;
        private boolean held = true;       // guarded by Slots.this, as are the rest
        private boolean answered;
        private boolean evicted;
        private Runnable evictor;

        private Slot(InetAddress client) {
            this.client = client;
        }

        /**
         * What ends the transfer when it has to make room. Set once the transfer exists, on the
         * listener's thread, which is also the only one that evicts; run at once should the slot
         * have been taken already.
         */
        void onEvict(Runnable r) {
            boolean now;
            synchronized (Slots.this) {
                evictor = r;
                now = evicted;
            }
            if (now) {
                r.run();
            }
        }

        /** The client acknowledged: the transfer keeps its place until it ends. */
        void answered() {
            synchronized (Slots.this) {
                answered = true;
                unanswered.remove(this);
            }
        }

        /** The transfer ended; the place is free. A second call does nothing. */
        void release() {
            synchronized (Slots.this) {
                remove(this);
            }
        }
    }
}
