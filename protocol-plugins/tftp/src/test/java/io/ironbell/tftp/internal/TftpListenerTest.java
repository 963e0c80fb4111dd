package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.tftp.TftpFile;
import io.ironbell.api.tftp.TftpFileProvider;
import io.ironbell.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.util.converter.Converters;

/**
 * The server's request listener, which decides what a read request gets: a transfer (with its
 * negotiated options), or an error packet. It is a private class of {@link TftpServer} whose
 * accepted requests open a real datagram channel for the transfer, so it cannot run on an
 * EmbeddedChannel; this test drives it in-process over loopback UDP, with files from a
 * {@link TftpFileProvider}, and no external client. Clients on other loopback addresses
 * (127.0.0.0/8 is all loopback) stand for other machines. The transfer itself is
 * {@link TftpTransferTest}'s.
 */
class TftpListenerTest {

    static final byte[] SCRIPT = "#!ipxe\nchain http://10.0.0.1:8080/ipxe/auto.ipxe\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] BIG = random(3000);

    @TempDir
    Path root;
    private TftpServer server;
    private Peer me;
    private final List<Peer> peers = new ArrayList<>();
    private final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        start(Map.of());
        me = new Peer("127.0.0.1");
    }

    /** Starts the server with these settings besides enabled, root and port. */
    private void start(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(settings);
        all.putAll(Map.of("enabled", true, "root", root.toString(), "port", 0));
        server = new TftpServer(Converters.standardConverter().convert(all).to(TftpServer.Config.class));
        assertTrue(server.check().ready(), server.check().reason());
        TftpFileProvider files = (name, from) -> {
            asked.add(name + " for " + from.getAddress().getHostAddress());
            return switch (name) {
                case "auto.ipxe" -> Optional.of(TftpFile.of(SCRIPT));
                case "big.bin" -> Optional.of(TftpFile.of(BIG));
                case "empty.bin" -> Optional.of(TftpFile.of(new byte[0]));
                case "unreadable" -> throw new IOException("permission denied");
                case "broken" -> throw new IllegalStateException("provider bug");
                default -> Optional.empty();
            };
        };
        server.addProvider(files, Map.of(Constants.SERVICE_ID, 1L));
    }

    /** Starts the server again with other settings. */
    private void restart(Map<String, Object> settings) {
        server.deactivate();
        start(settings);
    }

    @AfterEach
    void stop() {
        peers.forEach(Peer::close);
        server.deactivate();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    // ---- packets ---------------------------------------------------------------------------------

    /** A read or write request (RFC 1350) in octet mode, with RFC 2347 options as name, value, name, value. */
    static byte[] request(int op, String file, String... options) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(op);
        b.writeBytes(file.getBytes(StandardCharsets.US_ASCII));
        b.write(0);
        b.writeBytes("octet".getBytes(StandardCharsets.US_ASCII));
        b.write(0);
        for (String o : options) {
            b.writeBytes(o.getBytes(StandardCharsets.US_ASCII));
            b.write(0);
        }
        return b.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void send(byte[] b, int port) throws IOException {
        me.send(b, port);
    }

    private record Reply(byte[] bytes, int port) {
        int op() {
            return ByteBuffer.wrap(bytes).getShort(0) & 0xFFFF;
        }

        int second() {
            return ByteBuffer.wrap(bytes).getShort(2) & 0xFFFF;
        }

        byte[] payload() {
            return Arrays.copyOfRange(bytes, 4, bytes.length);
        }

        String message() {
            return new String(bytes, 4, bytes.length - 5, StandardCharsets.US_ASCII);
        }
    }

    private Reply receive() throws IOException {
        return me.receive();
    }

    private Reply ask(byte[] request) throws IOException {
        return me.ask(request);
    }

    private void assertError(Reply r, int code, String message) {
        assertEquals(Tftp.ERROR, r.op(), "an ERROR packet");
        assertEquals(code, r.second(), "error code");
        assertEquals(message, r.message());
        assertEquals(server.port(), r.port(), "errors come from the listener's port");
    }

    private void ack(Reply to, int block) throws IOException {
        me.ack(to, block);
    }

    private void abort(Reply transfer) throws IOException {
        me.abort(transfer);
    }

    /** A client on a loopback address of its own: another machine, or another program on one. */
    private final class Peer implements AutoCloseable {
        private final DatagramSocket socket;

        Peer(String address) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(address, 0));
            socket.setSoTimeout(5000); // a guard against a lost test, not a wait: replies come in milliseconds
            peers.add(this);
        }

        void send(byte[] b, int port) throws IOException {
            socket.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
        }

        Reply receive() throws IOException {
            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            socket.receive(p);
            return new Reply(Arrays.copyOf(buf, p.getLength()), p.getPort());
        }

        Reply ask(byte[] request) throws IOException {
            send(request, server.port());
            return receive();
        }

        void ack(Reply to, int block) throws IOException {
            send(new byte[] {0, Tftp.ACK, (byte) (block >>> 8), (byte) block}, to.port());
        }

        /** Ends a transfer that is waiting for the client, as a client that gives up does. */
        void abort(Reply transfer) throws IOException {
            send(new byte[] {0, Tftp.ERROR, 0, 0, 0}, transfer.port());
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    private double metric(String sample) {
        return TftpFloodTest.metric(server, sample);
    }

    /** Waits until a metric reaches a value; returns how long that took. */
    private Duration awaitMetric(String sample, double value, Duration within) {
        return Await.until(sample + " = " + value, within, () -> metric(sample) == value ? Boolean.TRUE : null).elapsed();
    }

    // ---- served ----------------------------------------------------------------------------------

    @Test
    void aProvidersFileComesInBlocksFromAPortOfItsOwn() throws Exception {
        Reply first = ask(request(Tftp.RRQ, "auto.ipxe"));
        assertEquals(Tftp.DATA, first.op(), "no options: data at once");
        assertEquals(1, first.second());
        assertArrayEquals(SCRIPT, first.payload(), "a file under 512 bytes is one block");
        assertNotEquals(server.port(), first.port(), "the transfer has a port of its own");
        assertEquals(List.of("auto.ipxe for 127.0.0.1"), asked, "the provider is asked with the normalised name and the client");

        ack(first, 1);
        // the transfer ended with that ACK; the listener still answers
        assertError(ask(request(Tftp.RRQ, "missing.bin")), Tftp.ERR_NOT_FOUND, "file not found: missing.bin");
    }

    @Test
    void namesAreNormalisedBeforeTheProviderSeesThem() throws Exception {
        Reply r = ask(request(Tftp.RRQ, "./auto.ipxe"));
        assertEquals(Tftp.DATA, r.op());
        assertEquals(List.of("auto.ipxe for 127.0.0.1"), asked);
        ack(r, 1);
    }

    @Test
    void optionsAreAcknowledgedInTheRequestsOrderAndUnknownOnesLeftOut() throws Exception {
        Reply oack = ask(request(Tftp.RRQ, "big.bin", "blksize", "1024", "tsize", "0", "x-vendor", "1", "windowsize", "2", "timeout", "3"));
        assertEquals(Tftp.OACK, oack.op());
        assertArrayEquals(ascii("\0\6blksize\0001024\0tsize\0003000\0windowsize\0002\0timeout\0003\0"), oack.bytes(),
                "tsize carries the file's size");

        ack(oack, 0);
        Reply one = receive();
        Reply two = receive();
        assertEquals(List.of(1, 2), List.of(one.second(), two.second()), "a window of 2");
        assertArrayEquals(Arrays.copyOfRange(BIG, 0, 1024), one.payload(), "blocks of the negotiated size");
        assertArrayEquals(Arrays.copyOfRange(BIG, 1024, 2048), two.payload());
        ack(two, 2);
        Reply last = receive();
        assertEquals(3, last.second());
        assertArrayEquals(Arrays.copyOfRange(BIG, 2048, 3000), last.payload());
        ack(last, 3);
    }

    @Test
    void optionValuesAreClampedToWhatTheServerSupports() throws Exception {
        Reply big = ask(request(Tftp.RRQ, "big.bin", "blksize", "100000", "windowsize", "1000", "timeout", "0"));
        assertArrayEquals(ascii("\0\6blksize\00065464\0windowsize\00064\0"), big.bytes(), "an unsupported timeout is left out");
        abort(big);

        Reply small = ask(request(Tftp.RRQ, "big.bin", "blksize", "1", "windowsize", "0", "timeout", "256"));
        assertArrayEquals(ascii("\0\6blksize\0008\0windowsize\0001\0"), small.bytes());
        abort(small);
    }

    @Test
    void anEmptyFileGoesWithoutTsize() throws Exception {
        Reply r = ask(request(Tftp.RRQ, "empty.bin", "tsize", "0"));
        assertEquals(Tftp.DATA, r.op(), "nothing left to acknowledge: no OACK (curl refuses tsize 0)");
        assertEquals(1, r.second());
        assertEquals(0, r.payload().length);
        ack(r, 1);
    }

    // ---- refused ---------------------------------------------------------------------------------

    @Test
    void anUnknownFileIsError1() throws Exception {
        assertError(ask(request(Tftp.RRQ, "missing.bin")), Tftp.ERR_NOT_FOUND, "file not found: missing.bin");
        assertError(ask(request(Tftp.RRQ, "efi/missing.efi", "blksize", "1468")), Tftp.ERR_NOT_FOUND, "file not found: efi/missing.efi");
    }

    @Test
    void refusedRequestsGetTheirErrorCode() throws Exception {
        assertError(ask(request(Tftp.WRQ, "upload.bin")), Tftp.ERR_ACCESS, "write requests are not accepted");
        assertError(ask(request(Tftp.RRQ, "../etc/passwd")), Tftp.ERR_ACCESS, "path refused: ../etc/passwd");
        assertError(ask(request(Tftp.RRQ, "/etc/passwd")), Tftp.ERR_ACCESS, "path refused: /etc/passwd");
        assertError(ask(request(Tftp.RRQ, "unreadable")), Tftp.ERR_ACCESS, "cannot read unreadable");
        assertError(ask(request(Tftp.RRQ, "broken")), Tftp.ERR_ACCESS, "cannot read broken");
        assertError(ask(request(Tftp.RRQ, "big.bin", "blksize", "large")), Tftp.ERR_OPTION, "malformed option value");
    }

    @Test
    void malformedDatagramsAreRefusedOrDroppedAndTheListenerGoesOn() throws Exception {
        send(new byte[] {0, 1, 'x'}, server.port()); // too short to be anything: dropped without a word
        // replies on loopback come in order: had the short datagram been answered, that answer would come first
        assertError(ask(ascii("\0\1no-terminator")), Tftp.ERR_ILLEGAL, "malformed read request");
        assertError(ask(ascii("\0\1name-only\0")), Tftp.ERR_ILLEGAL, "malformed read request");
        assertError(ask(new byte[] {0, Tftp.ACK, 0, 1}), Tftp.ERR_ILLEGAL, "only read requests are served on this port");
        assertError(ask(new byte[] {0, 42, 0, 0}), Tftp.ERR_ILLEGAL, "only read requests are served on this port");

        Reply served = ask(request(Tftp.RRQ, "auto.ipxe"));
        assertEquals(Tftp.DATA, served.op(), "still serving");
        ack(served, 1);
    }

    // ---- limits ----------------------------------------------------------------------------------

    /** A read request for big.bin in blocks of 1024, answered with an OACK, and the OACK acknowledged. */
    private Reply transferFrom(Peer p) throws IOException {
        Reply oack = p.ask(request(Tftp.RRQ, "big.bin", "blksize", "1024"));
        assertEquals(Tftp.OACK, oack.op());
        p.ack(oack, 0);
        assertEquals(1, p.receive().second(), "block 1");
        return oack;
    }

    /**
     * tftp.maxPerClient (4 by default): a fifth transfer at once from one address gets ERROR 0
     * from the listener's port, while another address is still served; once one of the four
     * ends, the address is served again.
     */
    @Test
    void anAddressGetsFourTransfersAtOnceAndTheFifthRequestError0() throws Exception {
        List<Reply> four = new ArrayList<>();
        List<Peer> programs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Peer p = new Peer("127.0.0.1");
            programs.add(p);
            four.add(transferFrom(p));
        }
        Peer fifth = new Peer("127.0.0.1");
        Reply refused = fifth.ask(request(Tftp.RRQ, "big.bin", "blksize", "1024"));
        assertEquals(Tftp.ERROR, refused.op());
        assertEquals(Tftp.ERR_UNDEFINED, refused.second(), "error 0: not defined, see the message");
        assertEquals("too many transfers from this address; try again", refused.message());
        assertEquals(server.port(), refused.port(), "from the listener's port");
        assertEquals(1, metric("ironbell_tftp_refused_total{reason=\"per_client\"}"));

        Peer other = new Peer("127.0.0.2");
        Reply served = other.ask(request(Tftp.RRQ, "auto.ipxe"));
        assertEquals(Tftp.DATA, served.op(), "another address is served");
        other.ack(served, 1);

        programs.get(0).abort(four.get(0));
        awaitMetric("ironbell_tftp_transfers_ended_total{outcome=\"aborted\"}", 1, Duration.ofSeconds(5));
        Reply again = fifth.ask(request(Tftp.RRQ, "auto.ipxe"));
        assertEquals(Tftp.DATA, again.op(), "a place of the address's own is free again");
        fifth.ack(again, 1);
        for (int i = 1; i < 4; i++) {
            programs.get(i).abort(four.get(i));
        }
    }

    /** An address's transfer that is not acknowledged yet gives way to the address's next request. */
    @Test
    void anUnansweredTransferGivesWayToTheNextRequestOfItsAddress() throws Exception {
        Peer forged = new Peer("127.0.0.3");
        for (int i = 0; i < 4; i++) {
            assertEquals(Tftp.OACK, forged.ask(request(Tftp.RRQ, "big.bin", "blksize", "1024")).op());
        }
        Peer real = new Peer("127.0.0.3");
        Reply oack = real.ask(request(Tftp.RRQ, "big.bin", "blksize", "1024"));
        assertEquals(Tftp.OACK, oack.op(), "served, not refused");
        awaitMetric("ironbell_tftp_transfers_ended_total{outcome=\"evicted\"}", 1, Duration.ofSeconds(5));
        assertEquals(0, metric("ironbell_tftp_refused_total{reason=\"per_client\"}"));
        real.abort(oack);
    }

    /**
     * tftp.maxTransfers: when every place is taken, the oldest unanswered transfer makes room;
     * when every transfer is answered, the request gets ERROR 0.
     */
    @Test
    void aFullServerMakesRoomFromTheUnansweredAndRefusesWhenAllAreAnswered() throws Exception {
        restart(Map.of("maxTransfers", 2));
        Reply a = transferFrom(me);
        Peer silent = new Peer("127.0.0.2");
        assertEquals(Tftp.OACK, silent.ask(request(Tftp.RRQ, "big.bin", "blksize", "1024")).op());
        Peer third = new Peer("127.0.0.3");
        Reply c = transferFrom(third);
        awaitMetric("ironbell_tftp_transfers_ended_total{outcome=\"evicted\"}", 1, Duration.ofSeconds(5));
        assertEquals(2, metric("ironbell_tftp_active_transfers"));

        Reply full = new Peer("127.0.0.4").ask(request(Tftp.RRQ, "auto.ipxe"));
        assertEquals(Tftp.ERROR, full.op());
        assertEquals(Tftp.ERR_UNDEFINED, full.second());
        assertEquals("too many transfers; try again", full.message());
        assertEquals(1, metric("ironbell_tftp_refused_total{reason=\"full\"}"));
        abort(a);
        third.abort(c);
    }

    /** RFC 2349: the OACK carries the timeout asked for, up to tftp.maxTimeoutSeconds (5), or leaves it out. */
    @Test
    void theTimeoutOptionIsAcknowledgedUpToTheMaximumOnly() throws Exception {
        Reply five = ask(request(Tftp.RRQ, "big.bin", "timeout", "5"));
        assertArrayEquals(ascii("\0\6timeout\0005\0"), five.bytes());
        abort(five);
        Reply six = ask(request(Tftp.RRQ, "big.bin", "blksize", "1024", "timeout", "6"));
        assertArrayEquals(ascii("\0\6blksize\0001024\0"), six.bytes(), "curl asks for 6: left out");
        abort(six);
    }

    /**
     * A client that asked for 255 s gets its lost block again after tftp.maxTimeoutSeconds (1 s
     * here), not 255 s.
     */
    @Test
    void aResendComesAfterTheClampedTimeout() throws Exception {
        restart(Map.of("maxTimeoutSeconds", 1));
        Reply oack = ask(request(Tftp.RRQ, "big.bin", "blksize", "1024", "timeout", "255"));
        assertArrayEquals(ascii("\0\6blksize\0001024\0"), oack.bytes());
        ack(oack, 0);
        assertEquals(1, receive().second());
        long sent = System.nanoTime();
        Reply again = receive(); // not acknowledged: it comes again
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertEquals(Tftp.DATA, again.op());
        assertEquals(1, again.second());
        assertTrue(waited >= 800 && waited < 2500, "resent after " + waited + " ms");
        abort(oack);
    }

    /**
     * A request that is never acknowledged (forged, say) gets its first packet three times, a
     * second apart, whatever timeout it asked for, and frees its place within 3 s: an OACK for
     * one with options, block 1 (512 bytes of reflection each) for one without.
     */
    @Test
    void anUnansweredRequestFreesItsPlaceWithinThreeSeconds() throws Exception {
        Peer withOptions = new Peer("127.0.0.2");
        Peer plain = new Peer("127.0.0.3");
        long begun = System.nanoTime();
        withOptions.send(request(Tftp.RRQ, "big.bin", "blksize", "1024", "timeout", "255"), server.port());
        plain.send(request(Tftp.RRQ, "big.bin"), server.port());
        awaitMetric("ironbell_tftp_transfers_total", 2, Duration.ofSeconds(5));
        awaitMetric("ironbell_tftp_active_transfers", 0, Duration.ofSeconds(6));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
        assertTrue(took >= 2800 && took < 4500, "freed after " + took + " ms");
        assertEquals(2, metric("ironbell_tftp_transfers_ended_total{outcome=\"unanswered\"}"));
        assertEquals(List.of(Tftp.OACK, Tftp.OACK, Tftp.OACK), ops(withOptions));
        assertEquals(List.of(Tftp.DATA, Tftp.DATA, Tftp.DATA), ops(plain));
    }

    /** What a peer has received so far (the transfers that sent it have ended), as opcodes. */
    private static List<Integer> ops(Peer p) throws IOException {
        List<Integer> ops = new ArrayList<>();
        p.socket.setSoTimeout(1); // everything has arrived: only an empty queue is waited on
        try {
            while (true) {
                ops.add(p.receive().op());
            }
        } catch (SocketTimeoutException empty) {
            return ops;
        }
    }

    /**
     * tftp.maxTransferSeconds (2 here): a client that acknowledges block 1 at once (it listens)
     * and every later block only when it comes a second time keeps its transfer alive, a block
     * a second; the time limit ends it with ERROR 0 from the transfer's port.
     */
    @Test
    void aTrickleOfAcksIsCutAtTheTimeLimit() throws Exception {
        restart(Map.of("maxTransferSeconds", 2));
        long begun = System.nanoTime();
        Reply first = ask(request(Tftp.RRQ, "big.bin", "timeout", "1"));
        assertEquals(Tftp.OACK, first.op());
        ack(first, 0);
        List<Integer> seen = new ArrayList<>();
        Reply r;
        while ((r = receive()).op() == Tftp.DATA) {
            if (seen.contains(r.second()) || r.second() == 1) {
                ack(r, r.second());
            }
            seen.add(r.second());
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
        assertEquals(Tftp.ERR_UNDEFINED, r.second());
        assertEquals("transfer time limit reached", r.message());
        assertEquals(first.port(), r.port(), "from the transfer's port");
        assertTrue(took >= 1900 && took < 3500, "cut after " + took + " ms");
        assertTrue(seen.contains(3), "it trickled: blocks " + seen);
        awaitMetric("ironbell_tftp_transfers_ended_total{outcome=\"time_limit\"}", 1, Duration.ofSeconds(1));
        awaitMetric("ironbell_tftp_active_transfers", 0, Duration.ofSeconds(1));
    }

    @Test
    void aLimitOutOfRangeKeepsTheServerDownAndSaysWhich() {
        for (Map.Entry<String, Object> bad : List.<Map.Entry<String, Object>>of(Map.entry("maxPerClient", 0),
                Map.entry("maxTransfers", -1), Map.entry("maxTransferSeconds", 0), Map.entry("maxTimeoutSeconds", 256))) {
            server.deactivate();
            Map<String, Object> all = new HashMap<>(Map.of("enabled", true, "root", root.toString(), "port", 0));
            all.put(bad.getKey(), bad.getValue());
            server = new TftpServer(Converters.standardConverter().convert(all).to(TftpServer.Config.class));
            assertTrue(!server.check().ready() && server.check().reason().contains("tftp." + bad.getKey()), server.check().reason());
        }
    }
}
