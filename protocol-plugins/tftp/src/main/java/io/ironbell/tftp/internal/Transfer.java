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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read transfer on its own port (RFC 1350 §4): sends a window of blocks, waits for the
 * acknowledgement of the last one received in order, and resends from there when the timer
 * fires, backing off. Block numbers roll over past 65535. All of it runs on the transfer's event
 * loop, so a slow client holds nobody else back.
 */
final class Transfer extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final Logger LOG = LoggerFactory.getLogger(Transfer.class);
    static final int MAX_RETRIES = 6;
    private static final String CLIENT_ABORTED = "client aborted";

    private final InetSocketAddress client;
    private final TftpFile file;
    private final long size;
    private final int blksize;
    private final int window;
    private final long timeoutMillis;
    private final Map<String, String> oack;
    private final Runnable onEnd;
    private final long lastBlock;
    private Channel channel;
    private long acked;        // the highest block the client acknowledged (0: none, or the OACK)
    private int retries;
    private ScheduledFuture<?> timer;
    private long deadline;     // System.nanoTime() after which the last send counts as lost
    private boolean done;
    private boolean started;   // data flows: no OACK was sent, or the client acknowledged it

    Transfer(InetSocketAddress client, TftpFile file, long size, int blksize, int window, long timeoutMillis,
             Map<String, String> oack, Runnable onEnd) {
        this.client = client;
        this.file = file;
        this.size = size;
        this.blksize = blksize;
        this.window = window;
        this.timeoutMillis = timeoutMillis;
        this.oack = oack;
        this.onEnd = onEnd;
        // the last block is the first shorter than blksize: an empty one when size is a multiple
        this.lastBlock = size / blksize + 1;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        if (oack.isEmpty()) {
            started = true;
            sendWindow();
        } else {
            sendOack();
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
            end(CLIENT_ABORTED);
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
                retries = 0;
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
        retries = 0;
        if (acked >= lastBlock) {
            end(null);
            return;
        }
        sendWindow();
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
                fail(Tftp.ERR_UNDEFINED, "read error");
                return;
            }
            channel.write(out);
        }
        channel.flush();
        arm();
    }

    /**
     * Moves the deadline instead of cancelling and rescheduling a timer on every ACK: in lock
     * step that is one timer task per block, and it showed in the benchmark.
     */
    private void arm() {
        long delay = TimeUnit.MILLISECONDS.toNanos(timeoutMillis << Math.min(retries, 3));
        deadline = System.nanoTime() + delay;
        if (timer == null) {
            timer = channel.eventLoop().schedule(this::tick, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void tick() {
        timer = null;
        if (done) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            timer = channel.eventLoop().schedule(this::tick, left, TimeUnit.NANOSECONDS);
            return;
        }
        if (++retries > MAX_RETRIES) {
            end("no acknowledgement after " + MAX_RETRIES + " retries");
            return;
        }
        if (!started) {
            sendOack();
        } else {
            sendWindow();
        }
    }

    private void fail(int code, String message) {
        ByteBuf err = channel.alloc().buffer(32);
        Tftp.writeError(err, code, message);
        channel.writeAndFlush(err);
        end(message);
    }

    private void end(String problem) {
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
        if (CLIENT_ABORTED.equals(problem)) {
            // UEFI firmware asks for a file's size this way before every download: routine
            LOG.debug("transfer to {} ended: {}", client, problem);
        } else if (problem != null) {
            LOG.info("transfer to {} ended: {}", client, problem);
        }
        channel.close();
        onEnd.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("transfer to {} failed: {}", client, cause.toString());
        end(cause.toString());
    }
}
