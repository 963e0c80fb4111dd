package io.ironbell.tftp.internal;

import static java.util.Arrays.copyOfRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.tftp.TftpFile;
import io.ironbell.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One read transfer ({@link Transfer}) on an {@link EmbeddedChannel}, standing for its connected
 * datagram channel: blocks out, ACKs in, OACK negotiation, windows, block-number rollover, the
 * ends of a transfer, resends and their bounds, the time limit, eviction. Every buffer, inbound
 * and outbound, must end released.
 */
@ExtendWith(LeakCheck.Paranoid.class)
class TftpTransferTest {

    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 50000);
    static final long NO_TIMEOUT = TimeUnit.MINUTES.toMillis(10);

    private final LeakCheck leaks = new LeakCheck();
    private EmbeddedChannel channel;
    private CountingFile file;
    private Transfer transfer;
    private final List<Transfer.Outcome> outcomes = new ArrayList<>();
    private int answered;
    /** What the server would hear: answers counted, outcomes in order. */
    private final Transfer.Events events = new Transfer.Events() {
        @Override
        public void answered() {
            answered++;
        }

        @Override
        public void ended(Transfer.Outcome outcome, String detail) {
            outcomes.add(outcome);
        }
    };


    @AfterEach
    void everyBufferReleased() {
        if (channel != null) {
            assertFalse(channel.finish(), "a packet was left unread");
        }
        leaks.assertNoLeaks();
    }

    /** Starts a transfer as the server does: the channel becomes active and the transfer speaks first. */
    private void start(byte[] content, int blksize, int window, long timeoutMillis, Map<String, String> oack) throws Exception {
        start(new CountingFile(TftpFile.of(content)), content.length, blksize, window, timeoutMillis, NO_TIMEOUT, oack);
    }

    private void start(CountingFile f, long size, int blksize, int window, long timeoutMillis, long lifetimeMillis,
                       Map<String, String> oack) throws Exception {
        file = f;
        transfer = new Transfer(CLIENT, f, size, blksize, window, timeoutMillis, lifetimeMillis, oack, events);
        channel = new EmbeddedChannel(false, false);
        channel.config().setAllocator(leaks.alloc());
        channel.pipeline().addLast(transfer);
        channel.register();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** Sends a datagram from the client; it must be consumed and released. */
    private void send(byte[] payload) {
        DatagramPacket p = new DatagramPacket(leaks.alloc().buffer(payload.length).writeBytes(payload), SERVER, CLIENT);
        assertFalse(channel.writeInbound(p), "the transfer passes nothing on");
        assertEquals(0, p.refCnt(), "the inbound datagram is released");
    }

    private void ack(int block) {
        send(new byte[] {0, Tftp.ACK, (byte) (block >>> 8), (byte) block});
    }

    private record Data(int block, byte[] content) {
    }

    /** Reads the next DATA packet and releases it. */
    private Data data() {
        Data d = dataOrNull();
        assertNotNull(d, "a DATA packet was sent");
        return d;
    }

    /** Reads the next DATA packet, if one was sent, and releases it. */
    private Data dataOrNull() {
        ByteBuf b = channel.readOutbound();
        if (b == null) {
            return null;
        }
        try {
            assertEquals(Tftp.DATA, b.readUnsignedShort(), "opcode");
            int block = b.readUnsignedShort();
            byte[] content = new byte[b.readableBytes()];
            b.readBytes(content);
            return new Data(block, content);
        } finally {
            assertTrue(b.release());
        }
    }

    /** Reads the next packet whole and releases it. */
    private byte[] packet() {
        ByteBuf b = channel.readOutbound();
        assertNotNull(b, "a packet was sent");
        try {
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            assertTrue(b.release());
        }
    }

    private void nothingSent() {
        assertNull(channel.readOutbound(), "nothing sent");
    }

    private void assertEnded(Transfer.Outcome outcome) {
        assertFalse(channel.isOpen(), "the transfer's channel is closed");
        assertEquals(List.of(outcome), outcomes, "the server is told once, and how");
        assertEquals(1, file.closed, "the file is closed once");
    }

    // ---- lock step ---------------------------------------------------------------------------

    @Test
    void withoutOptionsDataFlowsAtOnceInBlocksOf512() throws Exception {
        byte[] content = random(1300);
        start(content, 512, 1, NO_TIMEOUT, Map.of());

        Data first = data();
        assertEquals(1, first.block());
        assertArrayEquals(copyOfRange(content, 0, 512), first.content());
        nothingSent();

        ack(1);
        Data second = data();
        assertEquals(2, second.block());
        assertArrayEquals(copyOfRange(content, 512, 1024), second.content());

        ack(2);
        Data last = data();
        assertEquals(3, last.block());
        assertEquals(276, last.content().length, "the short block ends the file");
        assertArrayEquals(copyOfRange(content, 1024, 1300), last.content());
        assertTrue(channel.isOpen(), "open until the last block is acknowledged");
        assertEquals(List.of(), outcomes);

        ack(3);
        nothingSent();
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    @Test
    void aFileOfWholeBlocksEndsWithAnEmptyOne() throws Exception {
        start(random(1024), 512, 1, NO_TIMEOUT, Map.of());
        assertEquals(512, data().content().length);
        ack(1);
        assertEquals(512, data().content().length);
        ack(2);
        Data empty = data();
        assertEquals(3, empty.block());
        assertEquals(0, empty.content().length, "RFC 1350: a block under 512 bytes, here 0, ends it");
        ack(3);
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    @Test
    void anEmptyFileIsOneEmptyBlock() throws Exception {
        start(new byte[0], 512, 1, NO_TIMEOUT, Map.of());
        Data only = data();
        assertEquals(1, only.block());
        assertEquals(0, only.content().length);
        ack(1);
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    @Test
    void duplicateStaleAndFutureAcksAreIgnored() throws Exception {
        start(random(2000), 512, 1, NO_TIMEOUT, Map.of());
        assertEquals(1, data().block());
        ack(0);
        nothingSent();
        ack(2);
        nothingSent();
        ack(1);
        assertEquals(2, data().block());
        ack(1);
        nothingSent();
        ack(3);
        nothingSent();
        ack(2);
        assertEquals(3, data().block());
        assertTrue(channel.isOpen());
        send(new byte[] {0, Tftp.ERROR, 0, 0, 0}); // the client gives up: ends the test cleanly
        assertEnded(Transfer.Outcome.ABORTED);
    }

    // ---- options -------------------------------------------------------------------------------

    @Test
    void negotiatedOptionsAreAcknowledgedBeforeAnyData() throws Exception {
        byte[] content = random(3000);
        Map<String, String> oack = new LinkedHashMap<>();
        oack.put("blksize", "1024");
        oack.put("tsize", "3000");
        start(content, 1024, 1, NO_TIMEOUT, oack);

        assertArrayEquals("\0\6blksize\0001024\0tsize\0003000\0".getBytes(StandardCharsets.US_ASCII), packet(), "OACK, in the order given");
        nothingSent();
        ack(1);
        nothingSent();

        assertEquals(0, answered);
        ack(0); // RFC 2347: the client accepts the options
        assertEquals(1, answered, "acknowledging the OACK is an answer");
        Data first = data();
        assertEquals(1, first.block());
        assertArrayEquals(copyOfRange(content, 0, 1024), first.content(), "blocks of the negotiated size");
        ack(1);
        assertEquals(1024, data().content().length);
        ack(2);
        Data last = data();
        assertEquals(952, last.content().length);
        ack(3);
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    @Test
    void aWindowSendsSeveralBlocksPerAckAndResendsFromTheLastInOrder() throws Exception {
        byte[] content = random(512 * 10 + 1);
        start(content, 512, 4, NO_TIMEOUT, Map.of("windowsize", "4"));
        assertArrayEquals("\0\6windowsize\0004\0".getBytes(StandardCharsets.US_ASCII), packet());
        ack(0);
        assertEquals(List.of(1, 2, 3, 4), blocks(4));
        nothingSent();

        ack(4);
        assertEquals(List.of(5, 6, 7, 8), blocks(4));
        ack(6); // block 7 was lost: the client acknowledges what it has in order
        assertEquals(List.of(7, 8, 9, 10), blocks(4));
        ack(10);
        Data last = data();
        assertEquals(11, last.block());
        assertArrayEquals(new byte[] {content[content.length - 1]}, last.content());
        nothingSent();
        ack(11);
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    private List<Integer> blocks(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(data().block());
        }
        return out;
    }

    @Test
    void blockNumbersRollOverPast65535() throws Exception {
        // PARANOID takes a stack trace at every touch of every buffer: 4 s for these 65,537
        // packets instead of 0.2 s. LeakCheck's allocator, which does not depend on the level,
        // still checks every one of them.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        try {
            rollOver();
        } finally {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    private void rollOver() throws Exception {
        int blksize = 8;
        int window = 64;
        byte[] content = random(65_536 * blksize + 3); // blocks 1 .. 65537, the last of 3 bytes
        start(content, blksize, window, NO_TIMEOUT, Map.of("blksize", "8", "windowsize", "64"));
        packet(); // the OACK
        ack(0);

        ByteArrayOutputStream got = new ByteArrayOutputStream(content.length);
        long expected = 1;
        while (true) {
            int inWindow = 0;
            int lastWire = -1;
            Data d;
            while ((d = dataOrNull()) != null) {
                assertEquals(expected & 0xFFFF, d.block(), "block " + expected + " on the wire");
                got.writeBytes(d.content());
                lastWire = d.block();
                expected++;
                inWindow++;
            }
            assertTrue(inWindow > 0 && inWindow <= window, "a window of " + inWindow);
            ack(lastWire);
            if (!channel.isOpen()) {
                break;
            }
        }
        assertEquals(65_538, expected, "65537 blocks, numbered 1 .. 65535, 0, 1");
        assertArrayEquals(content, got.toByteArray());
        assertEnded(Transfer.Outcome.COMPLETE);
    }

    // ---- the ends of a transfer ----------------------------------------------------------------------

    @Test
    void anErrorFromTheClientEndsTheTransferQuietly() throws Exception {
        start(random(2000), 512, 1, NO_TIMEOUT, Map.of());
        data();
        send(new byte[] {0, Tftp.ERROR, 0, 0, 'n', 'o', 0});
        nothingSent();
        assertEnded(Transfer.Outcome.ABORTED);
    }

    @Test
    void malformedPacketsAreDroppedAndTheTransferGoesOn() throws Exception {
        start(random(2000), 512, 1, NO_TIMEOUT, Map.of());
        assertEquals(1, data().block());
        send(new byte[0]);
        send(new byte[] {0, Tftp.ACK, 0});                // too short for an ACK
        send(new byte[] {0, 9, 0, 1});                    // no such opcode
        send(new byte[] {0, Tftp.DATA, 0, 1, 'x'});      // clients do not send data here
        send(new byte[] {0, Tftp.RRQ, 'f', 0, 'o', 0});   // nor requests
        nothingSent();
        assertTrue(channel.isOpen(), "still running");
        assertEquals(List.of(), outcomes);

        ack(1);
        assertEquals(2, data().block());
        send(new byte[] {0, Tftp.ERROR, 0, 0, 0});
        assertEnded(Transfer.Outcome.ABORTED);
    }

    @Test
    void aReadErrorIsReportedToTheClientAndEndsTheTransfer() throws Exception {
        CountingFile failing = new CountingFile(new TftpFile() {
            @Override
            public long size() {
                return 4096;
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                throw new IOException("disk gone");
            }
        });
        start(failing, 4096, 512, 1, NO_TIMEOUT, NO_TIMEOUT, Map.of());
        assertArrayEquals("\0\5\0\0read error\0".getBytes(StandardCharsets.US_ASCII), packet(), "ERROR 0");
        nothingSent();
        assertEnded(Transfer.Outcome.FAILED);
    }

    @Test
    void aFileShorterThanItsSizeIsAReadError() throws Exception {
        // the size said 2000 bytes; the content has 700: block 2 comes up short
        start(new CountingFile(TftpFile.of(random(700))), 2000, 512, 1, NO_TIMEOUT, NO_TIMEOUT, Map.of());
        assertEquals(512, data().content().length);
        ack(1);
        assertArrayEquals("\0\5\0\0read error\0".getBytes(StandardCharsets.US_ASCII), packet());
        assertEnded(Transfer.Outcome.FAILED);
    }

    // ---- resends -------------------------------------------------------------------------------------

    @Test
    void aLostAckIsAnsweredByResendingThenTheTransferGivesUp() throws Exception {
        start(random(2000), 512, 1, 1, Map.of()); // a timeout of 1 ms, doubling once to 2 ms
        assertEquals(1, data().block());

        fireTimer();
        assertEquals(1, data().block(), "block 1 sent again");
        nothingSent();
        assertEquals(0, answered);

        ack(1);
        assertEquals(1, answered, "the server hears of the first acknowledgement");
        assertEquals(2, data().block());
        // Block 2 is resent MAX_RETRIES times and then the transfer ends: a count that also shows
        // the ACK reset the retries block 1 had used. (Resends can be queued by the ACK's own
        // pass over due timers, so they are counted wherever they come from.)
        int resends = 0;
        while (true) {
            Data d;
            while ((d = dataOrNull()) != null) {
                assertEquals(2, d.block());
                resends++;
            }
            if (!channel.isOpen()) {
                break;
            }
            fireTimer();
        }
        assertEquals(Transfer.MAX_RETRIES, resends, "then it gives up");
        assertEnded(Transfer.Outcome.NO_ACK);
    }

    /**
     * A request without options gets block 1 at once, and nothing says it came from where it
     * claims: unanswered, the block goes out three times in all (not the seven of a backed-off
     * retry), then the transfer ends without an error packet, so a forged request reflects three
     * blocks at most.
     */
    @Test
    void anUnansweredFirstBlockGoesOutThreeTimesThenTheTransferEndsWithoutAWord() throws Exception {
        start(random(2000), 512, 1, 1, Map.of());
        int sends = 0;
        while (true) {
            Data d;
            while ((d = dataOrNull()) != null) { // an ERROR packet would fail here
                assertEquals(1, d.block());
                sends++;
            }
            if (!channel.isOpen()) {
                break;
            }
            fireTimer();
        }
        assertEquals(Transfer.FIRST_SENDS, sends);
        assertEquals(3, sends, "twice resent at most");
        assertEquals(0, answered);
        assertEnded(Transfer.Outcome.UNANSWERED);
    }

    @Test
    void anUnansweredOackGoesOutThreeTimes() throws Exception {
        start(random(2000), 1024, 1, 1, Map.of("blksize", "1024"));
        byte[] oack = "\0\6blksize\0001024\0".getBytes(StandardCharsets.US_ASCII);
        int sends = 0;
        while (true) {
            while (!channel.outboundMessages().isEmpty()) {
                assertArrayEquals(oack, packet());
                sends++;
            }
            if (!channel.isOpen()) {
                break;
            }
            fireTimer();
        }
        assertEquals(Transfer.FIRST_SENDS, sends);
        assertEnded(Transfer.Outcome.UNANSWERED);
    }

    /** The first packet is resent a second later at most, whatever timeout the client asked for. */
    @Test
    void theFirstResendComesWithinASecondWhateverTheTimeout() throws Exception {
        start(random(2000), 1024, 1, TimeUnit.SECONDS.toMillis(255), Map.of("blksize", "1024", "timeout", "255"));
        packet();
        long next = channel.runScheduledPendingTasks();
        assertTrue(next > 0 && next <= TimeUnit.MILLISECONDS.toNanos(Transfer.FIRST_TIMEOUT_MILLIS),
                "the timer is due in " + TimeUnit.NANOSECONDS.toMillis(next) + " ms");
        send(new byte[] {0, Tftp.ERROR, 0, 0, 0});
        assertEnded(Transfer.Outcome.ABORTED);
    }

    /**
     * A client that acknowledges each block only when it came a second time keeps its
     * transfer alive, a block per timeout: the time limit ends it, with an error packet, since
     * this client does listen.
     */
    @Test
    void aClientThatTricklesAcksIsCutAtTheTimeLimit() throws Exception {
        long limit = 100;
        byte[] content = random(512 * 200);
        long begun = System.nanoTime();
        start(new CountingFile(TftpFile.of(content)), content.length, 512, 1, 5, limit, Map.of());
        int block = 1;
        assertEquals(block, data().block());
        while (true) {
            fireTimer(); // the client keeps quiet until the block comes again, or the time is up
            byte[] p = packet();
            if (ByteBuffer.wrap(p).getShort(0) == Tftp.ERROR) {
                assertArrayEquals(("\0\5\0\0" + Transfer.TIME_LIMIT + "\0").getBytes(StandardCharsets.US_ASCII), p);
                break;
            }
            assertEquals(block, ByteBuffer.wrap(p).getShort(2), "the same block again");
            nothingSent();
            ack(block);
            block++;
            assertEquals(block, data().block());
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
        assertTrue(took >= limit, "ended after " + took + " ms");
        assertTrue(block > 2 && block < 200, "it trickled: " + block + " blocks");
        nothingSent();
        assertEnded(Transfer.Outcome.TIME_LIMIT);
    }

    // ---- eviction ---------------------------------------------------------------------------------

    @Test
    void anEvictedTransferEndsWithoutAWord() throws Exception {
        start(random(2000), 1024, 1, NO_TIMEOUT, Map.of("blksize", "1024"));
        packet();
        transfer.evict();
        transfer.evict();
        channel.runPendingTasks();
        nothingSent();
        assertEnded(Transfer.Outcome.EVICTED);
    }

    /** Evicted between the request and its port: it ends as its channel becomes active, having sent nothing. */
    @Test
    void aTransferEvictedBeforeItsChannelIsActiveSendsNothing() throws Exception {
        file = new CountingFile(TftpFile.of(random(2000)));
        transfer = new Transfer(CLIENT, file, 2000, 512, 1, NO_TIMEOUT, NO_TIMEOUT, Map.of(), events);
        transfer.evict();
        channel = new EmbeddedChannel(false, false);
        channel.config().setAllocator(leaks.alloc());
        channel.pipeline().addLast(transfer);
        channel.register();
        nothingSent();
        assertEnded(Transfer.Outcome.EVICTED);
    }

    /**
     * Runs the transfer's timer until it has sent something or ended. Transfer measures its
     * timeout on System.nanoTime(), not on the event loop's clock, so EmbeddedChannel's
     * advanceTimeBy cannot stand in for it: the clock must really pass, for as long as the
     * channel says its next timer is due.
     */
    private void fireTimer() {
        while (channel.isOpen() && channel.outboundMessages().isEmpty()) {
            long next = channel.runScheduledPendingTasks();
            if (channel.isOpen() && channel.outboundMessages().isEmpty()) {
                assertTrue(next >= 0, "a timer is scheduled");
                long due = System.nanoTime() + next;
                while (System.nanoTime() - due <= 0) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** A file that counts how often it is closed. */
    private static final class CountingFile implements TftpFile {
        private final TftpFile content;
        int closed;

        CountingFile(TftpFile content) {
            this.content = content;
        }

        @Override
        public long size() {
            return content.size();
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            return content.read(position, dst);
        }

        @Override
        public void close() {
            closed++;
        }
    }

}
