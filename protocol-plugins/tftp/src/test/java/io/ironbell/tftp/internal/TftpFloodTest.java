package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.testing.Await;
import io.ironbell.testing.Sh;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.converter.Converters;

/**
 * The attack of the security review, against the real server and a real client (curl): a burst
 * of read requests that are never acknowledged, as forged ones never are. Each used to hold one
 * of the server's 1,000 places for up to 2.8 hours (a timeout of the client's choosing, up to
 * 255 s, backed off eightfold, six retries), so that 1,000 datagrams stopped every netboot.
 * Here they come from 250 loopback addresses, four each (the default share of an address),
 * half of them asking for the longest timeout. The server's defaults only; no external peer
 * but curl.
 */
class TftpFloodTest {

    static final int ADDRESSES = 250;
    static final int PER_ADDRESS = 4;
    /**
     * How often an unanswered transfer sends its first packet: {@code Transfer.FIRST_SENDS},
     * spelt out so that this test also compiles against the server before the fix.
     */
    static final int FIRST_SENDS = 3;

    @TempDir
    Path dir;
    private TftpServer server;
    private byte[] file;
    private final List<DatagramSocket> attackers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        file = new byte[74_213]; // Debian's undionly.kpxe is this long
        new Random(7).nextBytes(file);
        Files.write(root.resolve("undionly.kpxe"), file);
        server = new TftpServer(Converters.standardConverter().convert(Map.of("enabled", true, "root", root.toString(), "port", 0))
                .to(TftpServer.Config.class));
        assertTrue(server.check().ready(), server.check().reason());
    }

    @AfterEach
    void stop() {
        attackers.forEach(DatagramSocket::close);
        server.deactivate();
    }

    @Test
    void aThousandUnansweredRequestsDoNotStopARealClient() throws Exception {
        byte[] plain = TftpListenerTest.request(Tftp.RRQ, "undionly.kpxe");
        byte[] slow = TftpListenerTest.request(Tftp.RRQ, "undionly.kpxe", "timeout", "255", "tsize", "0");
        InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
        int sent = 0;
        for (int i = 0; i < ADDRESSES; i++) {
            // 127.1.0.1 .. 127.1.0.250: loopback, like all of 127.0.0.0/8
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 1, 0, (byte) (1 + i)}), 0));
            attackers.add(s); // open and never read: no ICMP tells the server they are gone
            for (int k = 0; k < PER_ADDRESS; k++) {
                byte[] rq = k % 2 == 0 ? plain : slow;
                s.send(new DatagramPacket(rq, rq.length, to));
            }
            sent += PER_ADDRESS;
            if (sent % 100 == 0) {
                // paced so that the listener's socket buffer never overflows: every request lands
                int landed = sent;
                Await.until(landed + " transfers started", Duration.ofSeconds(10),
                        () -> metric(server, "ironbell_tftp_transfers_total") >= landed ? Boolean.TRUE : null);
            }
        }
        assertEquals(1000, metric(server, "ironbell_tftp_active_transfers"), "the burst holds every place");

        Path out = dir.resolve("fetched");
        List<String> attempts = new ArrayList<>();
        Await.Timed<Boolean> fetched;
        try {
            fetched = Await.until("curl to fetch undionly.kpxe during the flood", Duration.ofSeconds(5), () -> {
                Sh.Result r = curl(out);
                attempts.add(r.output().strip());
                return r.status() == 0 ? Boolean.TRUE : null;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (" + attempts.size() + " attempts; the last said: "
                    + attempts.get(attempts.size() - 1) + ")", e);
        }
        assertArrayEquals(file, Files.readAllBytes(out), "byte-identical");
        assertEquals(1, attempts.size(), "served at the first attempt, in " + fetched.elapsed().toMillis() + " ms");

        // every forged transfer ends within 3 s of its request, having sent its first packet three times at most
        Await.until("the flood's places to be free", Duration.ofSeconds(6),
                () -> metric(server, "ironbell_tftp_active_transfers") == 0 ? Boolean.TRUE : null);
        assertEquals(1, metric(server, "ironbell_tftp_transfers_ended_total{outcome=\"evicted\"}"), "curl's request took one place");
        assertEquals(999, metric(server, "ironbell_tftp_transfers_ended_total{outcome=\"unanswered\"}"));
        int reflected = 0;
        for (DatagramSocket s : attackers) {
            int n = drain(s);
            assertTrue(n <= PER_ADDRESS * FIRST_SENDS, n + " packets to " + s.getLocalAddress());
            reflected += n;
        }
        assertTrue(reflected <= 1000 * FIRST_SENDS, reflected + " packets reflected");
    }

    private Sh.Result curl(Path out) {
        try {
            Files.deleteIfExists(out);
            return Sh.run(List.of("curl", "-sS", "-o", out.toString(), "tftp://127.0.0.1:" + server.port() + "/undionly.kpxe"),
                    Duration.ofSeconds(10));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Counts the datagrams waiting in a socket whose senders have all ended. */
    private static int drain(DatagramSocket s) throws IOException {
        s.setSoTimeout(1); // only an empty queue is waited on
        byte[] buf = new byte[2048];
        int n = 0;
        try {
            while (true) {
                s.receive(new DatagramPacket(buf, buf.length));
                n++;
            }
        } catch (SocketTimeoutException empty) {
            return n;
        }
    }

    /**
     * One sample of the server's metrics, named as Prometheus shows it:
     * {@code name} or {@code name{label="value"}}.
     */
    static double metric(TftpServer server, String sample) {
        Map<String, Double> samples = new HashMap<>();
        server.collect(new MetricWriter() {
            @Override
            public void counter(String name, String help, double value, String... labels) {
                samples.put(key(name, labels), value);
            }

            @Override
            public void gauge(String name, String help, double value, String... labels) {
                samples.put(key(name, labels), value);
            }
        });
        Double v = samples.get(sample);
        if (v == null) {
            throw new AssertionError("no sample " + sample + " in " + samples.keySet());
        }
        return v;
    }

    private static String key(String name, String... labels) {
        if (labels.length == 0) {
            return name;
        }
        StringBuilder b = new StringBuilder(name).append('{');
        for (int i = 0; i + 1 < labels.length; i += 2) {
            b.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(labels[i + 1]).append('"');
        }
        return b.append('}').toString();
    }
}
