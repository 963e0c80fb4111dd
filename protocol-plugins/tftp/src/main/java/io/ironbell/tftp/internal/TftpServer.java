package io.ironbell.tftp.internal;

import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.tftp.TftpFile;
import io.ironbell.api.tftp.TftpFileProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TFTP server: read requests only (write requests get an error packet), files confined to
 * {@code tftp.root}, options blksize (8–65464), tsize, timeout (1–255 s) and windowsize
 * (1–64), each transfer on its own port.
 */
@Component(configurationPid = TftpServer.PID, service = {ReadinessCheck.class, MetricSet.class}, property = ReadinessCheck.NAME + "=tftp")
@Designate(ocd = TftpServer.Config.class)
public final class TftpServer implements ReadinessCheck, MetricSet {

    static final String PID = "io.ironbell.tftp";
    static final int MAX_BLKSIZE = 65464;
    static final int MAX_WINDOW = 64;
    static final int MAX_TRANSFERS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(TftpServer.class);

    @ObjectClassDefinition(name = "Ironbell TFTP", description = "tftp.* keys")
    public @interface Config {
        @AttributeDefinition(description = "whether the TFTP server runs")
        boolean enabled() default false;

        @AttributeDefinition(description = "directory files are served from")
        String root() default "/usr/lib/ipxe";

        @AttributeDefinition(description = "UDP port")
        int port() default 69;

        @AttributeDefinition(description = "whether symbolic links in the root may lead out of it (Debian's ipxe.efi is one)")
        boolean followLinks() default true;
    }

    private final Config config;
    private volatile List<Provider> providers = List.of();
    private final EventLoopGroup group;
    private Channel listener;
    private Path root;
    private volatile String problem;
    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder served = new LongAdder();
    private final LongAdder refused = new LongAdder();

    @Activate
    public TftpServer(Config config) {
        this.config = config;
        this.group = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("ironbell-tftp", true), NioIoHandler.newFactory());
        if (!config.enabled()) {
            LOG.info("TFTP is off (tftp.enabled=false)");
            return;
        }
        try {
            root = Path.of(config.root()).toRealPath();
            listener = new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
                    .handler(new Listener()).bind(new InetSocketAddress("0.0.0.0", config.port())).syncUninterruptibly().channel();
            LOG.info("started: TFTP on UDP {} serving {}", port(), root);
        } catch (IOException e) {
            problem = "tftp.root " + config.root() + " is not a readable directory: " + e.getMessage();
            LOG.error("TFTP not started: {}", problem);
        } catch (RuntimeException e) {
            problem = "cannot listen on UDP port " + config.port() + ": " + e.getMessage();
            LOG.error("TFTP not started: {}", problem);
        }
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Deactivate
    void deactivate() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers requests on the well-known port; each transfer gets a channel of its own. */
    @Sharable
    private final class Listener extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf in = packet.content();
            InetSocketAddress client = packet.sender();
            if (in.readableBytes() < 4) {
                return;
            }
            int op = in.readUnsignedShort();
            if (op == Tftp.WRQ) {
                refuse(ctx, client, Tftp.ERR_ACCESS, "write requests are not accepted");
                return;
            }
            if (op != Tftp.RRQ) {
                refuse(ctx, client, Tftp.ERR_ILLEGAL, "only read requests are served on this port");
                return;
            }
            Tftp.Request req = Tftp.parseRequest(in);
            if (req == null) {
                refuse(ctx, client, Tftp.ERR_ILLEGAL, "malformed read request");
                return;
            }
            String name = normalise(req.file());
            if (name == null) {
                refuse(ctx, client, Tftp.ERR_ACCESS, "path refused: " + req.file());
                return;
            }
            if (active.get() >= MAX_TRANSFERS) {
                refuse(ctx, client, Tftp.ERR_UNDEFINED, "too many transfers; try again");
                return;
            }
            TftpFile fc;
            try {
                fc = open(name, client);
            } catch (IOException e) {
                LOG.debug("cannot read {} for {}: {}", name, client, e.toString());
                refuse(ctx, client, Tftp.ERR_ACCESS, "cannot read " + req.file());
                return;
            }
            if (fc == null) {
                refuse(ctx, client, Tftp.ERR_NOT_FOUND, "file not found: " + req.file());
                return;
            }
            long size = fc.size();
            int blksize = 512;
            int window = 1;
            long timeout = 1000;
            Map<String, String> oack = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, String> o : req.options().entrySet()) {
                    switch (o.getKey()) {
                        case "blksize" -> {
                            blksize = Math.max(8, Math.min(MAX_BLKSIZE, Integer.parseInt(o.getValue())));
                            oack.put("blksize", Integer.toString(blksize));
                        }
                        case "windowsize" -> {
                            window = Math.max(1, Math.min(MAX_WINDOW, Integer.parseInt(o.getValue())));
                            oack.put("windowsize", Integer.toString(window));
                        }
                        case "timeout" -> {
                            int t = Integer.parseInt(o.getValue());
                            if (t >= 1 && t <= 255) {
                                timeout = t * 1000L;
                                oack.put("timeout", Integer.toString(t));
                            }
                        }
                        case "tsize" -> {
                            // curl refuses an OACK with tsize 0: an empty file goes without it
                            if (size > 0) {
                                oack.put("tsize", Long.toString(size));
                            }
                        }
                        default -> {
                            // unknown options are ignored (RFC 2347)
                        }
                    }
                }
            } catch (NumberFormatException e) {
                closeQuietly(fc);
                refuse(ctx, client, Tftp.ERR_OPTION, "malformed option value");
                return;
            }
            active.incrementAndGet();
            served.increment();
            Transfer t = new Transfer(client, fc, size, blksize, window, timeout, oack, active::decrementAndGet);
            // connected, like tftpd-hpa: the kernel drops other senders, and a gone client's ICMP
            // port-unreachable ends the transfer at once instead of after all retries
            // and one datagram per wake-up: only ACKs arrive, and reading on to EAGAIN costs a
            // system call per block
            new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET)).handler(t)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(512).maxMessagesPerRead(1))
                    .connect(client, new InetSocketAddress(((InetSocketAddress) ctx.channel().localAddress()).getAddress(), 0))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            active.decrementAndGet();
                            closeQuietly(fc);
                            LOG.warn("no port for a transfer to {}: {}", client, f.cause().toString());
                        }
                    });
        }

        private void refuse(ChannelHandlerContext ctx, InetSocketAddress client, int code, String message) {
            refused.increment();
            ByteBuf err = ctx.alloc().buffer(64);
            Tftp.writeError(err, code, message);
            ctx.writeAndFlush(new DatagramPacket(err, client));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("TFTP request failed", cause);
        }
    }

    /** The name made relative and '/'-separated, or null for an absolute path or a '..' segment. */
    static String normalise(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
            return null;
        }
        StringBuilder out = new StringBuilder(name.length());
        for (String seg : name.split("/")) {
            if (seg.equals("..")) {
                return null;
            }
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(seg);
        }
        return out.length() == 0 ? null : out.toString();
    }

    /** The file from the first provider that has it, else from the root; null when nobody has it. */
    private TftpFile open(String name, InetSocketAddress client) throws IOException {
        for (Provider p : providers) {
            Optional<TftpFile> file;
            try {
                file = p.provider().open(name, client);
            } catch (RuntimeException e) {
                throw new IOException("provider failed", e);
            }
            if (file.isPresent()) {
                return file.get();
            }
        }
        Path p = root.resolve(name).normalize();
        if (!p.startsWith(root) || !Files.isRegularFile(p)) {
            return null;
        }
        if (!config.followLinks() && !p.toRealPath().startsWith(root)) {
            throw new IOException(name + " leads out of the root through a link (tftp.followLinks=false)");
        }
        try {
            return TftpFile.of(p);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addProvider(TftpFileProvider provider, Map<String, Object> props) {
        List<Provider> next = new ArrayList<>(providers);
        next.add(new Provider(provider, ranking(props), (Long) props.get(Constants.SERVICE_ID)));
        next.sort(Comparator.comparingInt(Provider::ranking).reversed().thenComparingLong(Provider::id));
        providers = List.copyOf(next);
    }

    synchronized void removeProvider(TftpFileProvider provider) {
        providers = providers.stream().filter(p -> p.provider() != provider).toList();
    }

    private static int ranking(Map<String, Object> props) {
        return props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
    }

    private record Provider(TftpFileProvider provider, int ranking, long id) {
    }

    private static void closeQuietly(TftpFile fc) {
        try {
            fc.close();
        } catch (IOException ignored) {
            // nothing to lose on a read-only file
        }
    }

    @Override
    public Readiness check() {
        return problem == null ? Readiness.up() : Readiness.down(problem);
    }

    @Override
    public void collect(MetricWriter w) {
        w.counter("ironbell_tftp_transfers_total", "TFTP transfers started", served.sum());
        w.counter("ironbell_tftp_refused_total", "TFTP requests refused with an error packet", refused.sum());
        w.gauge("ironbell_tftp_active_transfers", "TFTP transfers in progress", active.get());
    }
}
