package io.ironbell.syslog.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The syslog receiver the in-memory OS sends to: UDP datagrams in RFC 3164 or 5424 format,
 * attributed to the machine whose interface holds the source address and kept in that machine's
 * log (bounded per machine by the store). Parsing and attribution happen on the network thread
 * from memory; a writer thread stores batches. The queue between them is bounded by lines and
 * by bytes: a flood drops lines (counted in /metrics) and never grows the heap; a malformed
 * datagram or an unknown sender is counted and dropped.
 *
 * <p>Nothing authenticates a datagram: its source address is whatever the sender wrote, so
 * anyone who can reach the port can put lines in any machine's log. The API serves these lines
 * marked {@code "unauthenticated": true}, and {@code ironbell logs} prints them so.
 */
@Component(configurationPid = SyslogServer.PID, service = {ReadinessCheck.class, MetricSet.class}, property = ReadinessCheck.NAME + "=syslog")
@Designate(ocd = SyslogServer.Config.class)
public final class SyslogServer implements ReadinessCheck, MetricSet {

    static final String PID = "io.ironbell.syslog";
    static final int QUEUE = 50_000;
    /** Most heap the waiting lines may take (as {@link #heapBytes} estimates it): 50,000 datagrams of 8 KiB would be 0.4–0.8 GB. */
    static final long QUEUE_BYTES = 16L << 20;
    static final int BATCH = 2_000;
    static final int MAX_DATAGRAM = 8_192;

    private static final Logger LOG = LoggerFactory.getLogger(SyslogServer.class);

    @ObjectClassDefinition(name = "Ironbell syslog", description = "syslog.* keys")
    public @interface Config {
        @AttributeDefinition(description = "whether the syslog receiver runs")
        boolean enabled() default false;

        @AttributeDefinition(description = "address to listen on")
        String address() default "0.0.0.0";

        @AttributeDefinition(description = "UDP port")
        int port() default 514;
    }

    private final HardwareLookup lookup;
    private final MachineLogStore store;
    private final EventLoopGroup group;
    private final BlockingQueue<LogLine> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread writer;
    private volatile boolean running = true;
    private Channel channel;
    private volatile String problem;
    private final LongAdder received = new LongAdder();
    private final LongAdder stored = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    /** Bytes of the lines queued or in the batch being stored: released once the store has them (or failed). */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder strangers = new LongAdder();
    private final AtomicLong lastWarning = new AtomicLong();

    @Activate
    public SyslogServer(Config config, @Reference HardwareLookup lookup, @Reference MachineLogStore store) {
        this.lookup = lookup;
        this.store = store;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ironbell-syslog", true), NioIoHandler.newFactory());
        this.writer = new Thread(this::write, "ironbell-syslog-writer");
        writer.setDaemon(true);
        if (!config.enabled()) {
            LOG.info("syslog is off (syslog.enabled=false)");
            return;
        }
        writer.start();
        try {
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                    .option(ChannelOption.SO_RCVBUF, 1 << 20)
                    .handler(new Receiver())
                    .bind(new InetSocketAddress(config.address(), config.port())).syncUninterruptibly().channel();
            LOG.info("started: syslog on UDP {}:{}", config.address(), config.port());
        } catch (RuntimeException e) {
            problem = "cannot listen on UDP " + config.address() + ":" + config.port() + ": " + e.getMessage();
            LOG.error("syslog not started: {}", problem);
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        running = false;
        writer.interrupt();
        writer.join(5_000);
    }

    private final class Receiver extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            received.increment();
            ByteBuf in = packet.content();
            byte[] bytes = new byte[in.readableBytes()];
            in.readBytes(bytes);
            SyslogMessage m;
            try {
                m = SyslogMessage.parse(bytes, bytes.length);
            } catch (SyslogMessage.MalformedException e) {
                malformed.increment();
                warn("malformed syslog datagram from {} dropped: {}", packet.sender(), e.getMessage());
                return;
            }
            Optional<Hardware> hw = lookup.byIp(packet.sender().getAddress());
            if (hw.isEmpty()) {
                strangers.increment();
                warn("syslog from {}, which no machine has, dropped", packet.sender(), null);
                return;
            }
            Instant at = m.timestamp() != null ? m.timestamp() : Instant.now();
            LogLine line = new LogLine(0, hw.get().id(), at, "syslog", m.severityName(), m.line());
            long size = heapBytes(line);
            if (queuedBytes.addAndGet(size) > QUEUE_BYTES || !queue.offer(line)) {
                queuedBytes.addAndGet(-size);
                dropped.increment();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("syslog datagram failed", cause);
        }
    }

    /** At most one warning a second: a flood of garbage must not become a flood of log lines. */
    private void warn(String format, Object a, Object b) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if (now - last > 1_000_000_000L && lastWarning.compareAndSet(last, now)) {
            LOG.warn(format, a, b);
        }
    }

    /** What a queued line takes of the heap: its text (one byte a character when all are Latin-1), the line and its time. */
    static long heapBytes(LogLine l) {
        String t = l.text();
        for (int i = 0; i < t.length(); i++) {
            if (t.charAt(i) > 0xFF) {
                return 2L * t.length() + 112;
            }
        }
        return t.length() + 112;
    }

    private void write() {
        List<LogLine> batch = new ArrayList<>(BATCH);
        while (running) {
            try {
                LogLine first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                store.append(batch);
                stored.add(batch.size());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                dropped.add(batch.size());
                LOG.debug("{} syslog lines not stored: {}", batch.size(), e.getMessage());
            } finally {
                long bytes = 0;
                for (LogLine l : batch) {
                    bytes += heapBytes(l);
                }
                queuedBytes.addAndGet(-bytes);
                batch.clear();
            }
        }
    }

    @Override
    public Readiness check() {
        return problem == null ? Readiness.up() : Readiness.down(problem);
    }

    @Override
    public void collect(MetricWriter w) {
        w.counter("ironbell_syslog_received_total", "syslog datagrams received", received.sum());
        w.counter("ironbell_syslog_stored_total", "syslog lines stored in machine logs", stored.sum());
        w.counter("ironbell_syslog_dropped_total", "syslog lines dropped because the queue to the store was full (" + QUEUE
                + " lines or " + (QUEUE_BYTES >> 20) + " MiB) or the store failed", dropped.sum());
        w.counter("ironbell_syslog_malformed_total", "datagrams that were not syslog", malformed.sum());
        w.counter("ironbell_syslog_unknown_sender_total", "datagrams from addresses no machine has", strangers.sum());
        w.gauge("ironbell_syslog_queued", "syslog lines waiting for the store", queue.size());
        w.gauge("ironbell_syslog_queued_bytes", "heap taken by the syslog lines waiting for the store, estimated", queuedBytes.get());
    }
}
