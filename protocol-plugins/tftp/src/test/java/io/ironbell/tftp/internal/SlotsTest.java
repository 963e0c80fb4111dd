package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table of transfers ({@link Slots}) without a network: shares, eviction of the unanswered, refusals. */
class SlotsTest {

    private final List<String> evicted = new ArrayList<>();

    private static InetAddress ip(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Takes a place that records its name when it is evicted. */
    private Slots.Slot take(Slots slots, int address, String name) {
        Slots.Admission a = slots.acquire(ip(address));
        assertNotNull(a.slot(), name + " was refused: " + a.refusal());
        assertNull(a.refusal());
        a.slot().onEvict(() -> evicted.add(name));
        return a.slot();
    }

    @Test
    void anAddressWhoseTransfersAreAllAnsweredGetsNoMoreThanItsShare() {
        Slots slots = new Slots(100, 2);
        take(slots, 1, "a1").answered();
        take(slots, 1, "a2").answered();
        Slots.Admission third = slots.acquire(ip(1));
        assertNull(third.slot());
        assertEquals(Refusal.PER_CLIENT, third.refusal());
        take(slots, 2, "b1");
        assertEquals(3, slots.size());
        assertEquals(2, slots.size(ip(1)));
        assertEquals(List.of(), evicted);
    }

    @Test
    void anAddressAtItsShareMakesRoomFromItsOwnOldestUnansweredTransfer() {
        Slots slots = new Slots(100, 3);
        take(slots, 2, "b1");                 // another address's, older still: left alone
        take(slots, 1, "a1").answered();
        take(slots, 1, "a2");
        take(slots, 1, "a3");
        take(slots, 1, "a4");
        assertEquals(List.of("a2"), evicted);
        take(slots, 1, "a5");
        assertEquals(List.of("a2", "a3"), evicted);
        assertEquals(3, slots.size(ip(1)));
        assertEquals(4, slots.size());
    }

    @Test
    void aFullTableMakesRoomFromItsOldestUnansweredTransfer() {
        Slots slots = new Slots(3, 10);
        take(slots, 1, "a1").answered();
        take(slots, 2, "b1");
        take(slots, 3, "c1");
        take(slots, 4, "d1");
        assertEquals(List.of("b1"), evicted, "the oldest unanswered, not the older answered one");
        assertEquals(3, slots.size());
        assertEquals(0, slots.size(ip(2)));
    }

    @Test
    void aTableOfAnsweredTransfersRefusesAndAReleaseMakesRoom() {
        Slots slots = new Slots(2, 10);
        Slots.Slot a = take(slots, 1, "a1");
        a.answered();
        take(slots, 2, "b1").answered();
        assertEquals(Refusal.FULL, slots.acquire(ip(3)).refusal());
        a.release();
        a.release(); // a second release changes nothing
        assertEquals(1, slots.size());
        take(slots, 3, "c1").answered();
        assertEquals(Refusal.FULL, slots.acquire(ip(4)).refusal(), "a's place was not freed twice");
        assertEquals(List.of(), evicted);
    }

    @Test
    void anEvictedSlotStaysFreeWhenItsTransferEndsLater() {
        Slots slots = new Slots(1, 10);
        Slots.Slot first = take(slots, 1, "a1");
        take(slots, 2, "b1");
        assertEquals(List.of("a1"), evicted);
        first.release(); // the evicted transfer ends on its own loop, later
        assertEquals(1, slots.size(), "b1 keeps its place");
        first.answered(); // an ACK that raced the eviction: no place comes back
        assertEquals(1, slots.size());
    }
}
