package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.Network;
import io.ironbell.api.tftp.TftpFile;
import io.ironbell.api.tftp.TftpFileProvider;
import io.ironbell.testing.Await;
import io.ironbell.testing.MemoryHardwareLookup;
import io.ironbell.testing.Sh;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.util.converter.Converters;

/**
 * The TFTP server against real clients: curl (with --tftp-blksize) and tftp-hpa, a windowsize
 * client, and clients on other loopback addresses as machines that hardware records do or do
 * not know.
 */
class TftpServerTest {

    @TempDir
    Path dir;
    private Path root;
    private TftpServer server;
    private byte[] small;
    private byte[] big;

    @BeforeEach
    void start() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        small = random(1000, 1);
        big = random(5 * 1024 * 1024 + 7, 2);
        Files.write(root.resolve("undionly.kpxe"), small);
        Files.createDirectories(root.resolve("efi"));
        Files.write(root.resolve("efi/ipxe.efi"), big);
        Files.write(root.resolve("empty"), new byte[0]);
        Files.write(root.resolve("exact"), random(1024, 3));
        Files.writeString(dir.resolve("secret"), "not for clients");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = new TftpServer(Converters.standardConverter().convert(Map.of("enabled", true, "root", root.toString(), "port", port))
                .to(TftpServer.Config.class));
        assertTrue(server.check().ready(), server.check().reason());
    }

    @AfterEach
    void stop() {
        server.deactivate();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Runs a real TFTP client, killed with anything it started after 60 s. */
    private static Sh.Result run(List<String> cmd) throws Exception {
        Sh.Result r = Sh.run(cmd, Duration.ofSeconds(60));
        assertFalse(r.overran(), "timed out: " + cmd + "\n" + r.output());
        return r;
    }

    @Test
    void curlFetchesFilesByteIdentical() throws Exception {
        for (String blksize : List.of("512", "1468", "8192")) {
            Path out = dir.resolve("out-" + blksize);
            Sh.Result p = run(List.of("curl", "-sS", "--tftp-blksize", blksize, "-o", out.toString(),
                    "tftp://127.0.0.1:" + server.port() + "/efi/ipxe.efi"));
            assertEquals(0, p.status(), p.output());
            assertArrayEquals(big, Files.readAllBytes(out), "blksize " + blksize);
        }
        for (String name : List.of("undionly.kpxe", "empty", "exact")) {
            Path out = dir.resolve("out-" + name);
            Sh.Result p = run(List.of("curl", "-sS", "-o", out.toString(), "tftp://127.0.0.1:" + server.port() + "/" + name));
            assertEquals(0, p.status(), p.output());
            assertArrayEquals(Files.readAllBytes(root.resolve(name)), Files.readAllBytes(out), name);
        }
    }

    @Test
    void tftpHpaFetchesAFile() throws Exception {
        Path out = dir.resolve("hpa-out");
        Sh.Result p = run(List.of("tftp", "-m", "binary", "127.0.0.1", Integer.toString(server.port()), "-c", "get", "undionly.kpxe",
                out.toString()));
        assertEquals(0, p.status(), p.output());
        assertArrayEquals(small, Files.readAllBytes(out));
    }

    @Test
    void escapesAndWritesAreRefusedWithAnErrorPacket() throws Exception {
        for (String path : List.of("../secret", "efi/../../secret", "/etc/passwd", "missing")) {
            Sh.Result p = run(List.of("curl", "-sS", "-o", dir.resolve("x").toString(), "tftp://127.0.0.1:" + server.port() + "/" + path));
            assertNotEquals(0, p.status(), path + " was served");
        }
        byte[] reply = exchange(TftpListenerTest.request(2, "undionly.kpxe"));
        assertEquals(5, ByteBuffer.wrap(reply).getShort(0), "a write request gets an ERROR packet");
        assertTrue(new String(reply, 4, reply.length - 5, StandardCharsets.US_ASCII).contains("write requests are not accepted"));
        byte[] escape = exchange(TftpListenerTest.request(1, "../secret"));
        assertEquals(5, ByteBuffer.wrap(escape).getShort(0));
        assertEquals(2, ByteBuffer.wrap(escape).getShort(2), "access violation");
    }

    /** Providers answer before the root, highest ranking first, per client; leaving, they stop answering. */
    @Test
    void fileProvidersServeBeforeTheRootInRankingOrder() throws Exception {
        TftpFileProvider perClient = (name, client) -> name.equals("auto.ipxe")
                ? Optional.of(TftpFile.of(("#!ipxe\necho for " + client.getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII)))
                : Optional.empty();
        TftpFileProvider shadow = (name, client) -> name.equals("undionly.kpxe")
                ? Optional.of(TftpFile.of("from a bundle".getBytes(StandardCharsets.US_ASCII)))
                : Optional.empty();
        TftpFileProvider low = (name, client) -> Optional.of(TftpFile.of("lowest".getBytes(StandardCharsets.US_ASCII)));
        server.addProvider(low, Map.of(Constants.SERVICE_ID, 10L, Constants.SERVICE_RANKING, -5));
        server.addProvider(perClient, Map.of(Constants.SERVICE_ID, 11L));
        server.addProvider(shadow, Map.of(Constants.SERVICE_ID, 12L, Constants.SERVICE_RANKING, 7));
        assertEquals("#!ipxe\necho for 127.0.0.1\n", fetch("auto.ipxe"));
        assertEquals("from a bundle", fetch("undionly.kpxe"), "a provider wins over the root");
        assertEquals("lowest", fetch("anything/else"));
        server.removeProvider(shadow);
        server.removeProvider(low);
        assertArrayEquals(small, fetchBytes("undionly.kpxe"), "the root again once the provider left");
        Sh.Result p = run(List.of("curl", "-sS", "-o", dir.resolve("x").toString(), "tftp://127.0.0.1:" + server.port() + "/anything/else"));
        assertNotEquals(0, p.status(), "not found once the catch-all provider left");
    }

    /** Names are confined to the root; links the operator put there are followed unless tftp.followLinks=false. */
    @Test
    void linksOutOfTheRootAreTheOperatorsChoice() throws Exception {
        Files.createSymbolicLink(root.resolve("linked"), dir.resolve("secret"));
        assertEquals("not for clients", fetch("linked"), "followed by default, as Debian's /usr/lib/ipxe/ipxe.efi needs");
        server.deactivate();
        server = new TftpServer(Converters.standardConverter().convert(Map.of("enabled", true, "root", root.toString(), "port", 0,
                "followLinks", false)).to(TftpServer.Config.class));
        byte[] reply = exchange(TftpListenerTest.request(1, "linked"));
        assertEquals(5, ByteBuffer.wrap(reply).getShort(0));
        assertEquals(2, ByteBuffer.wrap(reply).getShort(2), "access violation");
    }

    /**
     * tftp.knownHardwareOnly: an address that no hardware record reserves gets no answer at all
     * (as DHCP gives unknown MACs none: no error packet to a forged source, and nothing that
     * tells a stranger a server is there), counted as refused (unknown_client); a known one is
     * served. Without a hardware store nobody is known.
     */
    @Test
    void withKnownHardwareOnlyAStrangerGetsNoAnswerAndAKnownMachineItsFile() throws Exception {
        server.deactivate();
        server = new TftpServer(Converters.standardConverter().convert(Map.of("enabled", true, "root", root.toString(), "port", 0,
                "knownHardwareOnly", true)).to(TftpServer.Config.class));
        HardwareLookup lookup = new MemoryHardwareLookup(machine("node-1", "52:54:00:00:00:01", "127.0.0.1"),
                machine("node-2", "52:54:00:00:00:02", "10.0.0.20"));
        server.setLookup(lookup);
        assertArrayEquals(small, fetchBytes("undionly.kpxe"), "127.0.0.1 is node-1's");

        try (DatagramChannel stranger = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.2", 0));
             DatagramSocket known = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            stranger.configureBlocking(false);
            known.setSoTimeout(3000);
            byte[] rq = TftpListenerTest.request(1, "undionly.kpxe");
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", server.port());
            stranger.send(ByteBuffer.wrap(rq), to);
            stranger.send(ByteBuffer.wrap(TftpListenerTest.request(2, "upload")), to); // not even an error for a write
            // the listener reads in order: once the known machine has its answer, the stranger's would have come
            known.send(new DatagramPacket(rq, rq.length, to));
            DatagramPacket reply = new DatagramPacket(new byte[1024], 1024);
            known.receive(reply);
            assertEquals(3, ByteBuffer.wrap(reply.getData()).getShort(0), "DATA for the known machine");
            known.send(new DatagramPacket(new byte[] {0, 5, 0, 0, 0}, 5, reply.getSocketAddress())); // done with it
            assertNull(stranger.receive(ByteBuffer.allocate(1024)), "no answer for 127.0.0.2");
            assertEquals(2, TftpFloodTest.metric(server, "ironbell_tftp_refused_total{reason=\"unknown_client\"}"));

            server.unsetLookup(lookup);
            known.send(new DatagramPacket(rq, rq.length, to));
            Await.until("the request without a store to be counted", Duration.ofSeconds(5),
                    () -> TftpFloodTest.metric(server, "ironbell_tftp_refused_total{reason=\"unknown_client\"}") == 3 ? Boolean.TRUE : null);
            server.setLookup(lookup);
            known.send(new DatagramPacket(rq, rq.length, to));
            known.receive(reply);
            assertEquals(3, ByteBuffer.wrap(reply.getData()).getShort(0), "served again once the store is back");
            known.send(new DatagramPacket(new byte[] {0, 5, 0, 0, 0}, 5, reply.getSocketAddress()));
        }
    }

    /** A machine whose one interface has this address reserved. */
    private static Hardware machine(String id, String mac, String ip) {
        Dhcp dhcp = new Dhcp(mac, null, null, null, null, null, null, null, new IpConfig(ip, "255.0.0.0", null, 4, null),
                null, null, null, null, null, null, null, null);
        return new Hardware(id, null, new Network(List.of(new HardwareInterface(dhcp, null, null)), null), null);
    }

    private String fetch(String name) throws Exception {
        return new String(fetchBytes(name), StandardCharsets.US_ASCII);
    }

    private byte[] fetchBytes(String name) throws Exception {
        Path out = dir.resolve("fetched");
        Files.deleteIfExists(out);
        Sh.Result p = run(List.of("curl", "-sS", "--tftp-blksize", "1468", "-o", out.toString(), "tftp://127.0.0.1:" + server.port() + "/" + name));
        assertEquals(0, p.status(), name + ": " + p.output());
        return Files.readAllBytes(out);
    }

    /** RFC 7440: with windowsize 8 the server sends 8 blocks per acknowledgement. */
    @Test
    void windowsizeSendsSeveralBlocksPerAck() throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            byte[] rq = TftpListenerTest.request(1, "efi/ipxe.efi", "blksize", "1428", "windowsize", "8", "tsize", "0");
            s.send(new DatagramPacket(rq, rq.length, new InetSocketAddress("127.0.0.1", server.port())));
            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            String oack = new String(buf, 2, p.getLength() - 2, StandardCharsets.US_ASCII);
            assertEquals(6, ByteBuffer.wrap(buf).getShort(0), "OACK");
            assertTrue(oack.contains("windowsize\0" + "8") && oack.contains("tsize\0" + big.length), oack);
            InetSocketAddress transfer = (InetSocketAddress) p.getSocketAddress();
            assertNotEquals(server.port(), transfer.getPort(), "the transfer has a port of its own");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ack(s, transfer, 0);
            int expected = 1;
            int windows = 0;
            while (true) {
                int inWindow = 0;
                int len = 0;
                while (inWindow < 8) {
                    s.receive(p);
                    int block = ByteBuffer.wrap(buf).getShort(2) & 0xFFFF;
                    assertEquals(expected & 0xFFFF, block);
                    len = p.getLength() - 4;
                    got.write(buf, 4, len);
                    expected++;
                    inWindow++;
                    if (len < 1428) {
                        break;
                    }
                }
                windows++;
                ack(s, transfer, (expected - 1) & 0xFFFF);
                if (len < 1428) {
                    break;
                }
            }
            assertArrayEquals(big, got.toByteArray());
            assertTrue(windows < (big.length / 1428) / 4, "blocks came in windows: " + windows + " acknowledgements");
        }
    }

    private static void ack(DatagramSocket s, InetSocketAddress to, int block) throws Exception {
        byte[] a = ByteBuffer.allocate(4).putShort((short) 4).putShort((short) block).array();
        s.send(new DatagramPacket(a, 4, to));
    }

    private byte[] exchange(byte[] request) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            s.send(new DatagramPacket(request, request.length, InetAddress.getLoopbackAddress(), server.port()));
            byte[] buf = new byte[1024];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return java.util.Arrays.copyOf(buf, p.getLength());
        }
    }
}
