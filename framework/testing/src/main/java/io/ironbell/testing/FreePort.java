package io.ironbell.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds ports nobody listens on, for servers started by tests.
 *
 * <p>Ports come from below the kernel's ephemeral range: a port the kernel handed to bind(0) is
 * handed out again at once — to the next outgoing connection, or to an embedded PostgreSQL picking
 * its own port — and the server started a few seconds later then finds it taken. A port is never
 * handed out twice by one JVM.
 */
public final class FreePort {

    private static final Set<Integer> GIVEN = new HashSet<>();

    private FreePort() {
    }

    /** Returns a port that was free, for TCP and UDP, a moment ago on every address. */
    public static synchronized int find() {
        int[] range = belowEphemeral();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(range[0], range[1]);
            if (!GIVEN.contains(port) && free(port)) {
                GIVEN.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + range[0] + "-" + range[1] + " after 1000 attempts");
    }

    private static boolean free(int port) {
        try (ServerSocket tcp = new ServerSocket()) {
            tcp.bind(new InetSocketAddress((InetAddress) null, port), 1);
        } catch (IOException e) {
            return false;
        }
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress((InetAddress) null, port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** From 10000 up to the start of the ephemeral range (32768 by default). */
    private static int[] belowEphemeral() {
        int low = 32768;
        try {
            // read as a stream: Files.readString gets only the first byte of this /proc file (its size is 0)
            String[] r;
            try (java.io.BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                r = in.readLine().trim().split("\\s+");
            }
            low = Integer.parseInt(r[0]);
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: the IANA default's start
        }
        // a machine whose ephemeral range starts low leaves no room outside it: take any port then
        return low >= 15000 ? new int[] {10000, low} : new int[] {1024, 65536};
    }
}
