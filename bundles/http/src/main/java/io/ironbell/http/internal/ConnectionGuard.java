package io.ironbell.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What keeps unauthenticated clients from exhausting the server, before any request reaches a
 * route: a cap on connections in all and per client address, a deadline for each request to
 * arrive whole (head and body: one byte a minute no longer holds a connection and its buffer),
 * and a budget of bytes for all request bodies held at once (received, queued or being handled),
 * reserved from the head's {@code Content-Length} before a byte of the body is buffered and given
 * back when the connection's next request begins or it closes.
 */
final class ConnectionGuard {

    /** Refusals by kind, for /metrics. */
    final LongAdder refusedConnections = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder refusedBodies = new LongAdder();

    private final int maxConnections;
    private final int maxPerAddress;
    private final long requestTimeoutMillis;
    private final long bodyBudget;
    private final int maxBody;
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong reserved = new AtomicLong();

    private static final AttributeKey<Long> RESERVED = AttributeKey.valueOf("ironbell.reserved");
    private static final AttributeKey<ScheduledFuture<?>> DEADLINE = AttributeKey.valueOf("ironbell.deadline");

    ConnectionGuard(int maxConnections, int maxPerAddress, int requestTimeoutSeconds, long bodyBudget, int maxBody) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.requestTimeoutMillis = TimeUnit.SECONDS.toMillis(requestTimeoutSeconds);
        this.bodyBudget = bodyBudget;
        this.maxBody = maxBody;
    }

    int connections() {
        return connections.get();
    }

    long reservedBytes() {
        return reserved.get();
    }

    /** First in the pipeline: counts connections and closes those over a cap at once. */
    ChannelHandler limiter() {
        return limiter;
    }

    /** Before the HTTP codec: a request's first byte starts its deadline. */
    ChannelHandler deadlineStart() {
        return new DeadlineStart();
    }

    /** After the HTTP codec, before the aggregator: the budget for the body, and the deadline's end. */
    ChannelHandler bodyGate() {
        return new BodyGate();
    }

    private final ChannelHandler limiter = new Limiter();

    @ChannelHandler.Sharable
    private final class Limiter extends ChannelInboundHandlerAdapter {
        private final AttributeKey<InetAddress> counted = AttributeKey.valueOf("ironbell.counted");

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            InetAddress peer = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            int all = connections.incrementAndGet();
            int mine = perAddress.computeIfAbsent(peer, a -> new AtomicInteger()).incrementAndGet();
            ctx.channel().attr(counted).set(peer);
            if (all > maxConnections || mine > maxPerAddress) {
                refusedConnections.increment();
                ctx.close();
                return;
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            InetAddress peer = ctx.channel().attr(counted).getAndSet(null);
            if (peer != null) {
                connections.decrementAndGet();
                perAddress.computeIfPresent(peer, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
            release(ctx);
            ScheduledFuture<?> d = ctx.channel().attr(DEADLINE).getAndSet(null);
            if (d != null) {
                d.cancel(false);
            }
            super.channelInactive(ctx);
        }
    }

    private final class DeadlineStart extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof ByteBuf b && b.isReadable() && ctx.channel().attr(DEADLINE).get() == null) {
                ctx.channel().attr(DEADLINE).set(ctx.executor().schedule(() -> expire(ctx), requestTimeoutMillis, TimeUnit.MILLISECONDS));
            }
            super.channelRead(ctx, msg);
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(DEADLINE).getAndSet(null) == null || !ctx.channel().isActive()) {
            return;
        }
        timedOut.increment();
        byte[] body = ("{\"code\":\"request_timeout\",\"message\":\"the request did not arrive whole within "
                + requestTimeoutMillis / 1000 + " s\"}").getBytes(StandardCharsets.UTF_8);
        ByteBuf raw = Unpooled.wrappedBuffer(("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: "
                + body.length + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
        // below the codec: the request is still half decoded, so the answer goes out as bytes
        ctx.pipeline().firstContext().writeAndFlush(raw).addListener(ChannelFutureListener.CLOSE);
    }

    private final class BodyGate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof HttpMessage head) {
                // the connection's previous request has been answered: its body is gone
                release(ctx);
                long length = HttpUtil.getContentLength(head, -1L);
                // a body of unknown length may grow to the limit; one over it is refused by the aggregator without buffering
                long want = length < 0 ? (HttpUtil.isTransferEncodingChunked(head) ? maxBody : 0) : Math.min(length, maxBody);
                if (want > 0 && !reserve(ctx, want)) {
                    refusedBodies.increment();
                    ReferenceCountUtil.release(msg);
                    byte[] body = "{\"code\":\"unavailable\",\"message\":\"too many request bodies are being received; try again\"}"
                            .getBytes(StandardCharsets.UTF_8);
                    ctx.pipeline().firstContext().writeAndFlush(Unpooled.wrappedBuffer(("HTTP/1.1 503 Service Unavailable\r\n"
                            + "content-type: application/json\r\nretry-after: 1\r\ncontent-length: " + body.length
                            + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body))
                            .addListener(ChannelFutureListener.CLOSE);
                    return;
                }
            }
            if (msg instanceof LastHttpContent) {
                ScheduledFuture<?> d = ctx.channel().attr(DEADLINE).getAndSet(null);
                if (d != null) {
                    d.cancel(false);
                }
            }
            super.channelRead(ctx, msg);
        }
    }

    private boolean reserve(ChannelHandlerContext ctx, long bytes) {
        while (true) {
            long now = reserved.get();
            if (now + bytes > bodyBudget) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                Long before = ctx.channel().attr(RESERVED).get();
                ctx.channel().attr(RESERVED).set((before == null ? 0 : before) + bytes);
                return true;
            }
        }
    }

    private void release(ChannelHandlerContext ctx) {
        Long held = ctx.channel().attr(RESERVED).getAndSet(null);
        if (held != null) {
            reserved.addAndGet(-held);
        }
    }
}
