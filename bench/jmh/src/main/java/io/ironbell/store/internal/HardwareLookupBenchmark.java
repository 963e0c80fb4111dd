package io.ironbell.store.internal;

import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.Netboot;
import io.ironbell.api.hardware.Network;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The DHCP hot path's question: which hardware has this MAC (or IP)? Answered by the store's
 * in-memory index holding {@code records} records. The MAC is parsed from the packet's bytes
 * inside the measured code, as the DHCP server will do.
 *
 * <p>{@code java -jar bench/jmh/target/benchmarks.jar HardwareLookupBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HardwareLookupBenchmark {

    @Param({"100000"})
    public int records;

    private final HardwareIndex index = new HardwareIndex();
    private byte[][] packets;
    private InetAddress[] ips;
    private int next;

    @Setup(Level.Trial)
    public void fill() throws Exception {
        List<Hardware> all = new ArrayList<>(records);
        packets = new byte[records][];
        ips = new InetAddress[records];
        for (int i = 0; i < records; i++) {
            MacAddress mac = MacAddress.of(0x525400000000L + i);
            String ip = "10." + ((i >> 16) & 0xFF) + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF);
            Dhcp dhcp = new Dhcp(mac.toString(), "node-" + i, 86400L, "x86_64", false, "eth0", List.of("1.1.1.1"), null,
                    new IpConfig(ip, "255.0.0.0", "10.0.0.1", 4, null), null, null, null, null, null, null, null, null);
            all.add(new Hardware("hw-" + i, null, new Network(List.of(new HardwareInterface(dhcp,
                    new Netboot(true, true, null, null, null), null)), null), null));
            byte[] chaddr = new byte[16];
            System.arraycopy(mac.toBytes(), 0, chaddr, 0, 6);
            packets[i] = chaddr;
            ips[i] = InetAddress.getByName(ip);
        }
        // shuffle the probe order so lookups do not walk memory in insertion order
        java.util.Collections.shuffle(java.util.Arrays.asList(packets), new java.util.Random(42));
        index.replaceAll(all);
    }

    @Benchmark
    public Optional<Hardware> byMacFromPacketBytes() {
        byte[] p = packets[next++ % records];
        return index.byMac(MacAddress.of(p, 0));
    }

    @Benchmark
    public Optional<Hardware> byIp() {
        return index.byIp(ips[next++ % records]);
    }
}
