package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.tftp.TftpFile;
import io.ironbell.api.tftp.TftpFileProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * {@link TftpFileProvider}, and no external client. The transfer itself is
 * {@link TftpTransferTest}'s.
 */
class TftpListenerTest {

    static final byte[] SCRIPT = "#!ipxe\nchain http://10.0.0.1:8080/ipxe/auto.ipxe\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] BIG = random(3000);

    @TempDir
    Path root;
    private TftpServer server;
    private DatagramSocket client;
    private final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new TftpServer(Converters.standardConverter().convert(Map.of("enabled", true, "root", root.toString(), "port", 0))
                .to(TftpServer.Config.class));
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
        client = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        client.setSoTimeout(5000); // a guard against a lost test, not a wait: replies come in milliseconds
    }

    @AfterEach
    void stop() {
        client.close();
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
        client.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
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
        byte[] buf = new byte[65536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        client.receive(p);
        return new Reply(Arrays.copyOf(buf, p.getLength()), p.getPort());
    }

    private Reply ask(byte[] request) throws IOException {
        send(request, server.port());
        return receive();
    }

    private void assertError(Reply r, int code, String message) {
        assertEquals(Tftp.ERROR, r.op(), "an ERROR packet");
        assertEquals(code, r.second(), "error code");
        assertEquals(message, r.message());
        assertEquals(server.port(), r.port(), "errors come from the listener's port");
    }

    private void ack(Reply to, int block) throws IOException {
        send(new byte[] {0, Tftp.ACK, (byte) (block >>> 8), (byte) block}, to.port());
    }

    /** Ends a transfer that is waiting for the client, as a client that gives up does. */
    private void abort(Reply transfer) throws IOException {
        send(new byte[] {0, Tftp.ERROR, 0, 0, 0}, transfer.port());
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
}
