package io.ironbell.syslog.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.Network;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.MemoryHardwareLookup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** The receiver on a real UDP socket on loopback, with a store that can be held back as a slow database would. */
class SyslogServerTest {

    /** The machine whose address, 127.0.0.1, every datagram of these tests comes from. */
    private final MemoryHardwareLookup hardware = new MemoryHardwareLookup(new Hardware("node-7", null, new Network(List.of(
            new HardwareInterface(new Dhcp("52:54:00:00:00:07", null, null, null, null, null, null, null,
                    new IpConfig("127.0.0.1", "255.0.0.0", null, 4, null), null, null, null, null, null, null, null, null), null, null)),
            null), null));
    private final CountDownLatch open = new CountDownLatch(1);
    private final List<LogLine> stored = new ArrayList<>();
    private final MachineLogStore store = new MachineLogStore() {
        @Override
        public void append(List<LogLine> lines) {
            try {
                open.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (stored) {
                stored.addAll(lines);
            }
        }

        @Override
        public List<LogLine> after(String machine, long afterSequence, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<LogLine> tail(String machine, int limit) {
            throw new UnsupportedOperationException();
        }
    };
    private int port;
    private SyslogServer server;
    private DatagramSocket socket;

    @BeforeEach
    void start() throws Exception {
        port = FreePort.find();
        server = new SyslogServer(Converters.standardConverter().convert(Map.of("enabled", true, "address", "127.0.0.1", "port", port))
                .to(SyslogServer.Config.class), hardware, store);
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() throws Exception {
        open.countDown();
        socket.close();
        server.deactivate();
    }

    private void send(String datagram) throws Exception {
        byte[] b = datagram.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(b, b.length, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
    }

    private long metric(String name) {
        Map<String, Double> m = new HashMap<>();
        server.collect(new MetricWriter() {
            @Override
            public void counter(String n, String help, double value, String... labels) {
                m.put(n, value);
            }

            @Override
            public void gauge(String n, String help, double value, String... labels) {
                m.put(n, value);
            }
        });
        return m.getOrDefault(name, -1.0).longValue();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<LogLine> stored() {
        synchronized (stored) {
            return List.copyOf(stored);
        }
    }

    @Test
    void controlCharactersAreEscapedBeforeALineIsKept() throws Exception {
        open.countDown();
        // clear the screen, set the terminal's title, a forged second line, and CSI as one C1 character
        send("<14>Dec  1 10:00:00 node-7 boot\u001b[1m: \u001b[2J\u001b]0;owned\u0007 done\r\n2026-12-01 worker: fine\u009b31m\u007f");
        send("<14>1 2026-12-01T10:00:00Z node-7 app\u001b - - - tab\there");
        List<LogLine> lines = Await.until("two lines stored", Duration.ofSeconds(10), () -> stored().size() == 2 ? stored() : null).value();
        for (LogLine l : lines) {
            for (char c : l.text().toCharArray()) {
                assertFalse(c < 0x20 || c >= 0x7f && c <= 0x9f, String.format("U+%04X kept in %s", (int) c, l.text()));
            }
            assertEquals("syslog", l.source());
        }
        assertEquals("boot#033[1m: #033[2J#033]0;owned#007 done#015#0122026-12-01 worker: fine#233" + "31m#177", lines.get(0).text());
        assertEquals("app#033: tab#011here", lines.get(1).text());
    }

    @Test
    void aFloodIsBoundedByBytesNotOnlyByLines() throws Exception {
        // the database is slow: nothing leaves the queue. 8,000-byte lines, as many as it would take
        String text = "x".repeat(7_989);
        int sent = 0;
        while (metric("ironbell_syslog_received_total") < 4_000 && sent < 40_000) {
            for (int i = 0; i < 50; i++) {
                send("<14>flood: " + text);
            }
            sent += 50;
            Thread.sleep(1);
        }
        long[] last = {-1};
        long received = Await.until("the datagrams to be taken in", Duration.ofSeconds(10), () -> {
            long r = metric("ironbell_syslog_received_total");
            if (r == last[0]) {
                return r;
            }
            last[0] = r;
            sleep(100);
            return null;
        }).value();
        // waiting: in the queue, and in the batch the writer holds while the store is slow
        long queued = received - metric("ironbell_syslog_dropped_total");
        long dropped = metric("ironbell_syslog_dropped_total");
        assertTrue(received >= 4_000, "received " + received);
        assertTrue(queued * 8_000 <= 16L << 20, "at most 16 MiB of lines wait for the store: " + queued + " lines of 8,000 bytes");
        assertTrue(dropped > 0, "the rest is dropped and counted: " + dropped);
        assertTrue(metric("ironbell_syslog_queued_bytes") <= 16L << 20, "bytes waiting: " + metric("ironbell_syslog_queued_bytes"));

        open.countDown();
        Await.until("the queue to empty", Duration.ofSeconds(30), () -> metric("ironbell_syslog_queued_bytes") == 0 ? true : null);
        assertEquals(received, metric("ironbell_syslog_stored_total") + dropped, "every line is stored or counted as dropped");
        send("<14>after: still here");
        Await.until("a line after the flood", Duration.ofSeconds(10),
                () -> stored().stream().anyMatch(l -> l.text().equals("after: still here")) ? true : null);
    }
}
