package io.ironbell.tftp.internal;

import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.tftp.TftpFile;
import io.ironbell.api.tftp.TftpFileProvider;
import io.ironbell.protocol.support.Tally;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TFTP server: read requests only (write requests get an error packet), files confined to
 * {@code tftp.root}, options blksize (8–65464), tsize, timeout (1 s to {@code
 * tftp.maxTimeoutSeconds}) and windowsize (1–64), each transfer on its own port.
 *
 * <p>Requests are cheap to forge and a transfer is not: it holds a port and a place in the table
 * ({@link Slots}) until it ends. So a transfer ends within {@code tftp.maxTransferSeconds}, and
 * within 3 s when its first packet is never acknowledged ({@link Transfer}); an address has at
 * most {@code tftp.maxPerClient} transfers at once; and when the table is full, an unanswered
 * transfer gives way to a new request. With {@code tftp.knownHardwareOnly} an address that no
 * hardware record reserves gets no answer at all. Every refusal is counted, and logged a line
 * per reason per {@link #LOG_INTERVAL} at most.
 */
@Component(configurationPid = TftpServer.PID, service = {ReadinessCheck.class, MetricSet.class}, property = ReadinessCheck.NAME + "=tftp")
@Designate(ocd = TftpServer.Config.class)
public final class TftpServer implements ReadinessCheck, MetricSet {

    static final String PID = "io.ironbell.tftp";
    static final int MAX_BLKSIZE = 65464;
    static final int MAX_WINDOW = 64;
    /** RFC 2349's largest timeout. */
    static final int MAX_TIMEOUT_OPTION = 255;
    static final long DEFAULT_TIMEOUT_MILLIS = 1000;
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

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

        @AttributeDefinition(description = "most transfers at once from one client address; another request gets error 0 "
                + "unless one of them has not been acknowledged yet, which then gives way")
        int maxPerClient() default 4;

        @AttributeDefinition(description = "most transfers at once in all; when full, the oldest transfer not acknowledged yet "
                + "gives way to a new request, else the request gets error 0")
        int maxTransfers() default 1000;

        @AttributeDefinition(description = "seconds a transfer may take in all; then it ends with error 0")
        int maxTransferSeconds() default 60;

        @AttributeDefinition(description = "the largest timeout option (seconds, RFC 2349) acknowledged; a larger one is left "
                + "out of the OACK and the server waits this long")
        int maxTimeoutSeconds() default 5;

        @AttributeDefinition(description = "serve only addresses that a hardware record reserves; others get no answer")
        boolean knownHardwareOnly() default false;
    }

    private final Config config;
    private volatile List<Provider> providers = List.of();
    private volatile HardwareLookup lookup;
    private final EventLoopGroup group;
    private final Slots slots;
    private Channel listener;
    private Path root;
    private volatile String problem;
    private final LongAdder served = new LongAdder();
    private final Map<Refusal, Tally> refused = new EnumMap<>(Refusal.class);
    private final Map<Transfer.Outcome, Tally> ended = new EnumMap<>(Transfer.Outcome.class);

    @Activate
    public TftpServer(Config config) {
        this.config = config;
        this.group = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("ironbell-tftp", true), NioIoHandler.newFactory());
        this.slots = new Slots(config.maxTransfers(), config.maxPerClient());
        for (Refusal r : Refusal.values()) {
            refused.put(r, new Tally(LOG_INTERVAL));
        }
        for (Transfer.Outcome o : Transfer.Outcome.values()) {
            ended.put(o, new Tally(LOG_INTERVAL));
        }
        if (!config.enabled()) {
            LOG.info("TFTP is off (tftp.enabled=false)");
            return;
        }
        String invalid = invalid(config);
        if (invalid != null) {
            problem = invalid;
            LOG.error("TFTP not started: {}", problem);
            return;
        }
        try {
            root = Path.of(config.root()).toRealPath();
            listener = new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
                    .handler(new Listener()).bind(new InetSocketAddress("0.0.0.0", config.port())).syncUninterruptibly().channel();
            LOG.info("started: TFTP on UDP {} serving {}; {} transfers at most, {} per client, {} s each{}", port(), root,
                    config.maxTransfers(), config.maxPerClient(), config.maxTransferSeconds(),
                    config.knownHardwareOnly() ? "; known hardware only" : "");
        } catch (IOException e) {
            problem = "tftp.root " + config.root() + " is not a readable directory: " + e.getMessage();
            LOG.error("TFTP not started: {}", problem);
        } catch (RuntimeException e) {
            problem = "cannot listen on UDP port " + config.port() + ": " + e.getMessage();
            LOG.error("TFTP not started: {}", problem);
        }
    }

    /** Why the configuration cannot be served, naming the key; null when it can. */
    static String invalid(Config c) {
        if (c.maxPerClient() < 1) {
            return "tftp.maxPerClient must be at least 1, was " + c.maxPerClient();
        }
        if (c.maxTransfers() < 1) {
            return "tftp.maxTransfers must be at least 1, was " + c.maxTransfers();
        }
        if (c.maxTransferSeconds() < 1) {
            return "tftp.maxTransferSeconds must be at least 1, was " + c.maxTransferSeconds();
        }
        if (c.maxTimeoutSeconds() < 1 || c.maxTimeoutSeconds() > MAX_TIMEOUT_OPTION) {
            return "tftp.maxTimeoutSeconds must be 1 to " + MAX_TIMEOUT_OPTION + " (RFC 2349), was " + c.maxTimeoutSeconds();
        }
        return null;
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
            if (config.knownHardwareOnly() && !known(client)) {
                return;
            }
            if (in.readableBytes() < 4) {
                return;
            }
            int op = in.readUnsignedShort();
            if (op == Tftp.WRQ) {
                refuse(ctx, client, Refusal.WRITE, "write requests are not accepted");
                return;
            }
            if (op != Tftp.RRQ) {
                refuse(ctx, client, Refusal.ILLEGAL, "only read requests are served on this port");
                return;
            }
            Tftp.Request req = Tftp.parseRequest(in);
            if (req == null) {
                refuse(ctx, client, Refusal.ILLEGAL, "malformed read request");
                return;
            }
            String name = normalise(req.file());
            if (name == null) {
                refuse(ctx, client, Refusal.PATH, "path refused: " + req.file());
                return;
            }
            Slots.Admission admission = slots.acquire(client.getAddress());
            Slots.Slot slot = admission.slot();
            if (slot == null) {
                refuse(ctx, client, admission.refusal(), admission.refusal() == Refusal.PER_CLIENT
                        ? "too many transfers from this address; try again" : "too many transfers; try again");
                return;
            }
            TftpFile fc;
            try {
                fc = open(name, client);
            } catch (IOException e) {
                slot.release();
                LOG.debug("cannot read {} for {}: {}", name, client, e.toString());
                refuse(ctx, client, Refusal.UNREADABLE, "cannot read " + req.file());
                return;
            }
            if (fc == null) {
                slot.release();
                refuse(ctx, client, Refusal.NOT_FOUND, "file not found: " + req.file());
                return;
            }
            long size = fc.size();
            int blksize = 512;
            int window = 1;
            long timeout = DEFAULT_TIMEOUT_MILLIS;
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
                            if (t >= 1 && t <= config.maxTimeoutSeconds()) {
                                timeout = t * 1000L;
                                oack.put("timeout", Integer.toString(t));
                            } else if (t > config.maxTimeoutSeconds()) {
                                // RFC 2349: the OACK carries the value asked for or leaves the option out;
                                // the server then waits as long as it allows (curl asks for 6 s)
                                timeout = config.maxTimeoutSeconds() * 1000L;
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
                slot.release();
                closeQuietly(fc);
                refuse(ctx, client, Refusal.OPTION, "malformed option value");
                return;
            }
            served.increment();
            Transfer t = new Transfer(client, fc, size, blksize, window, timeout, config.maxTransferSeconds() * 1000L, oack,
                    new Transfer.Events() {
                        @Override
                        public void answered() {
                            slot.answered();
                        }

                        @Override
                        public void ended(Transfer.Outcome outcome, String detail) {
                            // counted first: once the place is free, /metrics says how it ended
                            TftpServer.this.ended(outcome, client, detail);
                            slot.release();
                        }
                    });
            slot.onEvict(t::evict);
            // connected, like tftpd-hpa: the kernel drops other senders, and a gone client's ICMP
            // port-unreachable ends the transfer at once instead of after all retries
            // and one datagram per wake-up: only ACKs arrive, and reading on to EAGAIN costs a
            // system call per block
            new Bootstrap().group(group).channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET)).handler(t)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(512).maxMessagesPerRead(1))
                    .connect(client, new InetSocketAddress(((InetSocketAddress) ctx.channel().localAddress()).getAddress(), 0))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            closeQuietly(fc);
                            ended(Transfer.Outcome.FAILED, client, "no port for the transfer: " + f.cause());
                            slot.release();
                        }
                    });
        }

        private void refuse(ChannelHandlerContext ctx, InetSocketAddress client, Refusal why, String message) {
            note(why, client, message);
            ByteBuf err = ctx.alloc().buffer(64);
            Tftp.writeError(err, why.code, message);
            ctx.writeAndFlush(new DatagramPacket(err, client));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("TFTP request failed", cause);
        }
    }

    /** Whether a hardware record reserves the client's address; when not, the request is counted and dropped. */
    private boolean known(InetSocketAddress client) {
        HardwareLookup l = lookup;
        String why;
        if (l == null) {
            why = "no hardware store to ask (tftp.knownHardwareOnly=true)";
        } else {
            try {
                if (l.byIp(client.getAddress()).isPresent()) {
                    return true;
                }
                why = "no hardware record reserves this address (tftp.knownHardwareOnly=true)";
            } catch (RuntimeException e) {
                why = "the hardware lookup failed: " + e;
            }
        }
        note(Refusal.UNKNOWN_CLIENT, client, why);
        return false;
    }

    private void note(Refusal why, InetSocketAddress client, String message) {
        long held = refused.get(why).add();
        if (held < 0) {
            return;
        }
        String verb = why == Refusal.UNKNOWN_CLIENT ? "ignored" : "refused";
        if (why.protective()) {
            LOG.warn("TFTP request from {} {}: {}{}", client, verb, message, Tally.more(held));
        } else {
            LOG.info("TFTP request from {} {}: {}{}", client, verb, message, Tally.more(held));
        }
    }

    private void ended(Transfer.Outcome outcome, InetSocketAddress client, String detail) {
        long held = ended.get(outcome).add();
        if (held < 0) {
            return;
        }
        String what = switch (outcome) {
            // ABORTED is routine: UEFI firmware asks for a file's size this way before every download
            case COMPLETE, ABORTED -> null;
            case UNANSWERED -> "its first packet was never acknowledged (a forged request, or the client went away)";
            case NO_ACK -> "the client stopped acknowledging";
            case TIME_LIMIT -> "still running after tftp.maxTransferSeconds=" + config.maxTransferSeconds();
            case EVICTED -> "not acknowledged yet, it made room for a new request";
            case FAILED -> detail;
        };
        if (what != null) {
            LOG.info("TFTP transfer to {} ended: {}{}", client, what, Tally.more(held));
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

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, cardinality = ReferenceCardinality.OPTIONAL)
    void setLookup(HardwareLookup l) {
        lookup = l;
    }

    void unsetLookup(HardwareLookup l) {
        if (lookup == l) {
            lookup = null;
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
        for (Refusal r : Refusal.values()) {
            w.counter("ironbell_tftp_refused_total", "TFTP requests refused: an error packet, or no answer at all (unknown_client)",
                    refused.get(r).sum(), "reason", r.label);
        }
        for (Transfer.Outcome o : Transfer.Outcome.values()) {
            w.counter("ironbell_tftp_transfers_ended_total", "TFTP transfers ended, by how", ended.get(o).sum(), "outcome", o.label);
        }
        w.gauge("ironbell_tftp_active_transfers", "TFTP transfers in progress", slots.size());
    }
}
