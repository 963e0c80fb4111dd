package io.ironbell.tftp.internal;

import io.ironbell.api.tftp.TftpFile;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read transfer on its own port (RFC 1350 §4): sends a window of blocks, waits for the
 * acknowledgement of the last one received in order, and resends from there when the timer
 * fires. Block numbers roll over past 65535. All of it runs on the transfer's event loop, so a
 * slow client holds nobody else back.
 *
 * <p>Until the client first acknowledges (the OACK, or block 1) nothing says the request came
 * from the address it names: a forged one costs a port, and its answers go to someone who never
 * asked. So that first packet goes out {@value #FIRST_SENDS} times at most, the timeout (a
 * second at most) apart, and then the transfer ends without a word. Once the client has
 * answered, a lost packet is resent after the timeout, then after twice the timeout, at most
 * {@value #MAX_RETRIES} times in a row. Either way the transfer ends at its time limit, the
 * client told with an error packet if it ever answered.
 */
final class Transfer extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final Logger LOG = LoggerFactory.getLogger(Transfer.class);
    /** How often the first packet goes out before an unanswered transfer ends. */
    static final int FIRST_SENDS = 3;
    /** The longest wait for the first acknowledgement, whatever timeout the client asked for. */
    static final long FIRST_TIMEOUT_MILLIS = 1000;
    /** Resends in a row, once the client has answered, before the transfer ends. */
    static final int MAX_RETRIES = 4;
    static final String TIME_LIMIT = "transfer time limit reached";

    /** How a transfer ended: the {@code outcome} label of {@code ironbell_tftp_transfers_ended_total}. */
    enum Outcome {
        COMPLETE("complete"),
        /** The client sent an error packet (UEFI firmware asks for a file's size this way). */
        ABORTED("aborted"),
        /** The first packet was never acknowledged: a forged request, or a client that went away. */
        UNANSWERED("unanswered"),
        /** The client answered, then stopped acknowledging. */
        NO_ACK("no_ack"),
        TIME_LIMIT("time_limit"),
        /** Ended unanswered to make room for a new request. */
        EVICTED("evicted"),
        /** A read error, or the socket's (an ICMP port unreachable: the client is gone). */
        FAILED("failed");

        final String label;

        Outcome(String label) {
            this.label = label;
        }
    }

    /** What the server hears of a transfer, on the transfer's event loop. */
    interface Events {
        /** The client acknowledged for the first time: it receives what it is sent. */
        void answered();

        /** The transfer ended, once. */
        void ended(Outcome outcome, String detail);
    }

    private final InetSocketAddress client;
    private final TftpFile file;
    private final long size;
    private final int blksize;
    private final int window;
    private final long timeoutMillis;
    private final long lifetimeNanos;
    private final Map<String, String> oack;
    private final Events events;
    private final long lastBlock;
    private volatile Channel channel;
    private volatile boolean evicted;
    private long acked;        // the highest block the client acknowledged (0: none, or the OACK)
    private int retries;
    private ScheduledFuture<?> timer;
    private long deadline;     // System.nanoTime() after which the last send counts as lost
    private long expires;      // System.nanoTime() at which the transfer's time is up
    private boolean done;
    private boolean started;   // data flows: no OACK was sent, or the client acknowledged it
    private boolean answered;  // the client acknowledged something

    /**
     * @param timeoutMillis  the wait for an acknowledgement (the client's timeout option, clamped)
     * @param lifetimeMillis the most the whole transfer may take
     */
    Transfer(InetSocketAddress client, TftpFile file, long size, int blksize, int window, long timeoutMillis, long lifetimeMillis,
             Map<String, String> oack, Events events) {
        this.client = client;
        this.file = file;
        this.size = size;
        this.blksize = blksize;
        this.window = window;
        this.timeoutMillis = timeoutMillis;
        this.lifetimeNanos = TimeUnit.MILLISECONDS.toNanos(lifetimeMillis);
        this.oack = oack;
        this.events = events;
        // the last block is the first shorter than blksize: an empty one when size is a multiple
        this.lastBlock = size / blksize + 1;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        expires = System.nanoTime() + lifetimeNanos;
        if (evicted) {
            end(Outcome.EVICTED, null);
            return;
        }
        if (oack.isEmpty()) {
            started = true;
            sendWindow();
        } else {
            sendOack();
        }
    }

    /**
     * Ends the transfer, from any thread, to make room for another: no error packet, since its
     * client never answered (the server evicts only those).
     */
    void evict() {
        evicted = true;
        Channel c = channel;
        if (c != null) {
            try {
                c.eventLoop().execute(() -> end(Outcome.EVICTED, null));
            } catch (RejectedExecutionException stopping) {
                // the server is stopping: the channel closes with its event loop
            }
        }
    }

    private void sendOack() {
        ByteBuf out = channel.alloc().buffer(64);
        Tftp.writeOack(out, oack);
        channel.writeAndFlush(out);
        arm();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf in = packet.content();
        if (in.readableBytes() < 4) {
            return;
        }
        int op = in.readUnsignedShort();
        if (op == Tftp.ERROR) {
            end(Outcome.ABORTED, null);
            return;
        }
        if (op != Tftp.ACK) {
            return;
        }
        int wire = in.readUnsignedShort();
        if (!started) {
            if (wire == 0) {
                // the OACK is acknowledged (RFC 2347): data may flow
                started = true;
                answer();
                sendWindow();
            }
            return;
        }
        // map the 16-bit number onto the blocks in flight: acked .. acked + window
        long candidate = acked + ((wire - (acked & 0xFFFF)) & 0xFFFF);
        if (candidate <= acked || candidate > Math.min(acked + window, lastBlock)) {
            return; // a duplicate or stale ACK
        }
        acked = candidate;
        answer();
        if (acked >= lastBlock) {
            end(Outcome.COMPLETE, null);
            return;
        }
        sendWindow();
    }

    private void answer() {
        retries = 0;
        if (!answered) {
            answered = true;
            events.answered();
        }
    }

    private void sendWindow() {
        long last = Math.min(acked + window, lastBlock);
        for (long block = acked + 1; block <= last; block++) {
            long offset = (block - 1) * blksize;
            int len = (int) Math.max(0, Math.min(blksize, size - offset));
            ByteBuf out = channel.alloc().buffer(4 + len);
            out.writeShort(Tftp.DATA).writeShort((int) (block & 0xFFFF));
            try {
                int n = file.read(offset, out.internalNioBuffer(out.writerIndex(), len));
                if (n != len) {
                    throw new IOException("the file changed size during the transfer");
                }
                out.writerIndex(out.writerIndex() + n);
            } catch (IOException | RuntimeException | InternalError e) {
                // InternalError: a mapped file truncated under the transfer
                out.release();
                sendError("read error");
                end(Outcome.FAILED, "read error: " + e);
                return;
            }
            channel.write(out);
        }
        channel.flush();
        arm();
    }

    /**
     * Moves the deadline instead of cancelling and rescheduling a timer on every ACK: in lock
     * step that is one timer task per block, and it showed in the benchmark. The timer never
     * sleeps past the time limit.
     */
    private void arm() {
        long wait = answered ? timeoutMillis << Math.min(retries, 1) : Math.min(timeoutMillis, FIRST_TIMEOUT_MILLIS);
        long now = System.nanoTime();
        deadline = now + TimeUnit.MILLISECONDS.toNanos(wait);
        if (timer == null) {
            schedule(now);
        }
    }

    private void schedule(long now) {
        timer = channel.eventLoop().schedule(this::tick, Math.min(deadline - now, expires - now), TimeUnit.NANOSECONDS);
    }

    private void tick() {
        timer = null;
        if (done) {
            return;
        }
        long now = System.nanoTime();
        if (now - expires >= 0) {
            if (answered) {
                sendError(TIME_LIMIT);
            }
            end(Outcome.TIME_LIMIT, null);
            return;
        }
        if (deadline - now > 0) {
            schedule(now);
            return;
        }
        if (++retries > (answered ? MAX_RETRIES : FIRST_SENDS - 1)) {
            end(answered ? Outcome.NO_ACK : Outcome.UNANSWERED, null);
            return;
        }
        if (!started) {
            sendOack();
        } else {
            sendWindow();
        }
    }

    private void sendError(String message) {
        ByteBuf err = channel.alloc().buffer(4 + message.length() + 1);
        Tftp.writeError(err, Tftp.ERR_UNDEFINED, message);
        channel.writeAndFlush(err);
    }

    private void end(Outcome outcome, String detail) {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        try {
            file.close();
        } catch (IOException ignored) {
            // read-only
        }
        LOG.debug("transfer to {} ended: {} {}", client, outcome.label, detail == null ? "" : detail);
        channel.close();
        events.ended(outcome, detail);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        end(Outcome.FAILED, cause.toString());
    }
}
