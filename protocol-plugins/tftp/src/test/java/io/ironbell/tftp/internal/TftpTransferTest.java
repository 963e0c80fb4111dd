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
 * ends of a transfer, resends. Every buffer, inbound and outbound, must end released.
 */
@ExtendWith(LeakCheck.Paranoid.class)
class TftpTransferTest {

    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 50000);
    static final long NO_TIMEOUT = TimeUnit.MINUTES.toMillis(10);

    private final LeakCheck leaks = new LeakCheck();
    private EmbeddedChannel channel;
    private CountingFile file;
    private int ended;


    @AfterEach
    void everyBufferReleased() {
        if (channel != null) {
            assertFalse(channel.finish(), "a packet was left unread");
        }
        leaks.assertNoLeaks();
    }

    /** Starts a transfer as the server does: the channel becomes active and the transfer speaks first. */
    private void start(byte[] content, int blksize, int window, long timeoutMillis, Map<String, String> oack) throws Exception {
        start(new CountingFile(TftpFile.of(content)), content.length, blksize, window, timeoutMillis, oack);
    }

    private void start(CountingFile f, long size, int blksize, int window, long timeoutMillis, Map<String, String> oack) throws Exception {
        file = f;
        Transfer t = new Transfer(CLIENT, f, size, blksize, window, timeoutMillis, oack, () -> ended++);
        channel = new EmbeddedChannel(false, false);
        channel.config().setAllocator(leaks.alloc());
        channel.pipeline().addLast(t);
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

    private void assertEnded() {
        assertFalse(channel.isOpen(), "the transfer's channel is closed");
        assertEquals(1, ended, "the server is told once");
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
        assertEquals(0, ended);

        ack(3);
        nothingSent();
        assertEnded();
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
        assertEnded();
    }

    @Test
    void anEmptyFileIsOneEmptyBlock() throws Exception {
        start(new byte[0], 512, 1, NO_TIMEOUT, Map.of());
        Data only = data();
        assertEquals(1, only.block());
        assertEquals(0, only.content().length);
        ack(1);
        assertEnded();
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
        assertEnded();
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

        ack(0); // RFC 2347: the client accepts the options
        Data first = data();
        assertEquals(1, first.block());
        assertArrayEquals(copyOfRange(content, 0, 1024), first.content(), "blocks of the negotiated size");
        ack(1);
        assertEquals(1024, data().content().length);
        ack(2);
        Data last = data();
        assertEquals(952, last.content().length);
        ack(3);
        assertEnded();
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
        assertEnded();
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
        assertEnded();
    }

    // ---- the ends of a transfer ----------------------------------------------------------------------

    @Test
    void anErrorFromTheClientEndsTheTransferQuietly() throws Exception {
        start(random(2000), 512, 1, NO_TIMEOUT, Map.of());
        data();
        send(new byte[] {0, Tftp.ERROR, 0, 0, 'n', 'o', 0});
        nothingSent();
        assertEnded();
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
        assertEquals(0, ended);

        ack(1);
        assertEquals(2, data().block());
        send(new byte[] {0, Tftp.ERROR, 0, 0, 0});
        assertEnded();
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
        start(failing, 4096, 512, 1, NO_TIMEOUT, Map.of());
        assertArrayEquals("\0\5\0\0read error\0".getBytes(StandardCharsets.US_ASCII), packet(), "ERROR 0");
        nothingSent();
        assertEnded();
    }

    @Test
    void aFileShorterThanItsSizeIsAReadError() throws Exception {
        // the size said 2000 bytes; the content has 700: block 2 comes up short
        start(new CountingFile(TftpFile.of(random(700))), 2000, 512, 1, NO_TIMEOUT, Map.of());
        assertEquals(512, data().content().length);
        ack(1);
        assertArrayEquals("\0\5\0\0read error\0".getBytes(StandardCharsets.US_ASCII), packet());
        assertEnded();
    }

    // ---- resends -------------------------------------------------------------------------------------

    @Test
    void aLostAckIsAnsweredByResendingThenTheTransferGivesUp() throws Exception {
        start(random(2000), 512, 1, 1, Map.of()); // a timeout of 1 ms, doubling up to 8 ms
        assertEquals(1, data().block());

        fireTimer();
        assertEquals(1, data().block(), "block 1 sent again");
        nothingSent();

        ack(1);
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
        assertEnded();
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
