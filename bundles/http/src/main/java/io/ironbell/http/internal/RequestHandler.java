package io.ironbell.http.internal;

import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpResponse;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches each request to the route that matches it, on the network thread for inline
 * routes and on the worker pool for the others, and writes the answer. While a request is
 * being answered the connection reads nothing more, so answers leave in request order and a
 * client cannot pile up work.
 */
@Sharable
final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

    private final Supplier<RouteTable> routes;
    private final Executor workers;
    private final HttpMetrics metrics;
    private final boolean secure;
    private final int httpsPort;

    /**
     * @param secure    whether this handler serves the HTTPS listener
     * @param httpsPort on the plain listener: the HTTPS port that routes not marked
     *                  {@link io.ironbell.api.http.HttpRoute#PLAIN} are served on instead, or -1
     *                  when TLS is off and every route is served here
     */
    RequestHandler(Supplier<RouteTable> routes, Executor workers, HttpMetrics metrics, boolean secure, int httpsPort) {
        this.routes = routes;
        this.workers = workers;
        this.metrics = metrics;
        this.secure = secure;
        this.httpsPort = httpsPort;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = HttpMethod.HEAD.equals(req.method());
        if (req.decoderResult().isFailure()) {
            String why = req.decoderResult().cause() == null ? "malformed request" : req.decoderResult().cause().getMessage();
            send(ctx, Errors.of(400, "bad_request", "malformed request: " + why), false, head, null);
            return;
        }
        QueryStringDecoder uri;
        try {
            uri = new QueryStringDecoder(req.uri());
        } catch (IllegalArgumentException e) {
            send(ctx, Errors.of(400, "bad_request", "malformed URI: " + e.getMessage()), keepAlive, head, null);
            return;
        }
        String path = uri.path();
        if (!isCleanPath(path)) {
            send(ctx, Errors.of(400, "bad_request", "path must be absolute, without '.' or '..' segments: " + path),
                    keepAlive, head, null);
            return;
        }
        String method = req.method().name();
        RouteTable.Match match = routes.get().match(method, path);
        if (match instanceof RouteTable.NotFound) {
            send(ctx, Errors.of(404, "not_found", "no route for " + method + " " + path), keepAlive, head, null);
            return;
        }
        if (match instanceof RouteTable.WrongMethod wrong) {
            send(ctx, Errors.of(405, "method_not_allowed", method + " is not allowed on " + path + "; allowed: "
                    + String.join(", ", wrong.allowed())).withHeader("Allow", String.join(", ", wrong.allowed())),
                    keepAlive, head, null);
            return;
        }
        RouteTable.Found found = (RouteTable.Found) match;
        if (!secure && httpsPort >= 0 && !found.entry().plain()) {
            // no redirect: the request (and any token in it) has crossed the network in clear already
            metrics.countPlainRefused();
            send(ctx, Errors.of(403, "https_required", method + " " + path + " is served over HTTPS only, on port " + httpsPort
                    + " of this server"), keepAlive, head, null);
            return;
        }
        NettyHttpRequest request = new NettyHttpRequest(req, path, uri.parameters(), found.params(),
                (InetSocketAddress) ctx.channel().remoteAddress(), (InetSocketAddress) ctx.channel().localAddress(), secure);
        String range = req.headers().get(HttpHeaderNames.RANGE);
        if (found.entry().inline()) {
            send(ctx, answer(found, request), keepAlive, head, range);
            return;
        }
        ctx.channel().config().setAutoRead(false);
        try {
            workers.execute(() -> send(ctx, answer(found, request), keepAlive, head, range));
        } catch (RejectedExecutionException e) {
            send(ctx, Errors.of(503, "overloaded", "the server is busy; try again"), false, head, null);
        }
    }

    private HttpResponse answer(RouteTable.Found found, NettyHttpRequest request) {
        try {
            HttpResponse r = found.entry().route().handle(request);
            if (r == null) {
                throw new IllegalStateException("route returned no response");
            }
            return r;
        } catch (HttpException e) {
            return Errors.of(e.status(), e.code(), e.getMessage());
        } catch (RuntimeException | Error e) {
            // the exception's text is for the operator, not the caller: the id finds it in the log
            String id = incidentId();
            LOG.error("internal error {}: route {} failed on {} {}", id, found.entry().pattern(), request.method(), request.path(), e);
            return Errors.of(500, "internal_error", "internal error " + id + "; see the server log");
        }
    }

    private void send(ChannelHandlerContext ctx, HttpResponse response, boolean keepAlive, boolean head, String range) {
        if (response.bodyKind() == HttpResponse.BodyKind.DEFERRED) {
            // no thread waits: the answer is sent from the connection's own event loop when it comes
            response.later().whenComplete((answer, failure) -> ctx.executor().execute(() -> {
                HttpResponse r = answer;
                if (failure != null || r == null || r.bodyKind() == HttpResponse.BodyKind.DEFERRED) {
                    String id = incidentId();
                    LOG.error("internal error {}: a later answer failed", id, failure);
                    r = Errors.of(500, "internal_error", "internal error " + id + "; see the server log");
                }
                send(ctx, r, keepAlive, head, range);
            }));
            return;
        }
        metrics.countStatus(response.status());
        ChannelFuture last;
        try {
            last = switch (response.bodyKind()) {
                case BYTES -> sendBytes(ctx, response, keepAlive, head);
                case FILE -> sendFile(ctx, response, keepAlive, head, range);
                case STREAM -> sendStream(ctx, response, keepAlive, head);
                case DEFERRED -> throw new IllegalStateException("a later answer is sent when it comes");
            };
        } catch (RuntimeException e) {
            LOG.error("cannot write response", e);
            ctx.close();
            return;
        }
        last.addListener(f -> ctx.channel().config().setAutoRead(true));
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private ChannelFuture sendBytes(ChannelHandlerContext ctx, HttpResponse r, boolean keepAlive, boolean head) {
        byte[] body = r.bytes();
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        headers(res.headers(), r, keepAlive);
        if (r.status() != 204) {
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        return ctx.writeAndFlush(res);
    }

    private ChannelFuture sendFile(ChannelHandlerContext ctx, HttpResponse r, boolean keepAlive, boolean head, String range) {
        RandomAccessFile raf;
        long length;
        try {
            raf = new RandomAccessFile(r.file().toFile(), "r");
            length = raf.length();
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return sendBytes(ctx, Errors.of(404, "not_found", "no such file: " + r.file().getFileName()), keepAlive, head);
        } catch (IOException e) {
            return sendBytes(ctx, Errors.of(500, "internal_error", "cannot read " + r.file().getFileName()), keepAlive, head);
        }
        long[] span = ByteRange.parse(range, length);
        if (span == ByteRange.UNSATISFIABLE) {
            closeQuietly(raf);
            return sendBytes(ctx, Errors.of(416, "range_not_satisfiable", "range " + range + " is outside 0-" + length)
                    .withHeader("Content-Range", "bytes */" + length), keepAlive, head);
        }
        boolean partial = span != null;
        long start = partial ? span[0] : 0;
        long count = partial ? span[1] - span[0] + 1 : length;
        DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.valueOf(r.status()));
        headers(res.headers(), r, keepAlive);
        res.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, count);
        if (partial) {
            res.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + span[0] + "-" + span[1] + "/" + length);
        }
        ctx.write(res);
        if (head || count == 0) {
            closeQuietly(raf);
        } else if (r.overlay().isEmpty()) {
            // Zero-copy from the page cache; the region closes the file when it is released.
            ctx.write(new DefaultFileRegion(raf.getChannel(), start, count));
        } else {
            writeOverlaid(ctx, raf, start, start + count, r.overlay());
        }
        return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /**
     * Bytes {@code [from, to)} of the file with the overlay's bytes in place of the file's where
     * they meet: zero-copy regions between them. The file is closed when the last region is released.
     */
    private static void writeOverlaid(ChannelHandlerContext ctx, RandomAccessFile raf, long from, long to,
            java.util.NavigableMap<Long, byte[]> overlay) {
        java.util.List<Object> parts = new java.util.ArrayList<>();
        long at = from;
        Map.Entry<Long, byte[]> before = overlay.floorEntry(from);
        java.util.Collection<Map.Entry<Long, byte[]>> candidates = new java.util.ArrayList<>();
        if (before != null) {
            candidates.add(before);
        }
        candidates.addAll(overlay.subMap(from, false, to, false).entrySet());
        for (Map.Entry<Long, byte[]> e : candidates) {
            long oStart = e.getKey();
            long oEnd = oStart + e.getValue().length;
            if (oEnd <= at || oStart >= to) {
                continue;
            }
            if (oStart > at) {
                parts.add(new long[] {at, oStart - at});
            }
            long s = Math.max(oStart, at);
            long end = Math.min(oEnd, to);
            parts.add(Unpooled.wrappedBuffer(e.getValue(), (int) (s - oStart), (int) (end - s)));
            at = end;
        }
        if (at < to) {
            parts.add(new long[] {at, to - at});
        }
        long regions = parts.stream().filter(p -> p instanceof long[]).count();
        if (regions == 0) {
            closeQuietly(raf);
        }
        java.util.concurrent.atomic.AtomicLong open = new java.util.concurrent.atomic.AtomicLong(regions);
        for (Object p : parts) {
            if (p instanceof long[] span) {
                // each region shares the file; the last one released closes it
                ctx.write(new DefaultFileRegion(raf.getChannel(), span[0], span[1]) {
                    @Override
                    protected void deallocate() {
                        if (open.decrementAndGet() == 0) {
                            closeQuietly(raf);
                        }
                    }
                });
            } else {
                ctx.write(p);
            }
        }
    }

    private ChannelFuture sendStream(ChannelHandlerContext ctx, HttpResponse r, boolean keepAlive, boolean head) {
        if (head) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(r.status()), Unpooled.EMPTY_BUFFER);
            headers(res.headers(), r, keepAlive);
            return ctx.writeAndFlush(res);
        }
        DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()));
        headers(res.headers(), r, keepAlive);
        HttpUtil.setTransferEncodingChunked(res, true);
        ChannelFuture f = ctx.writeAndFlush(res);
        StreamingBody body = new StreamingBody(ctx.channel(), keepAlive);
        try {
            r.streamer().accept(body);
        } catch (RuntimeException e) {
            LOG.error("stream writer failed", e);
            body.close();
        }
        // The connection reads again once the stream ends, ready for the next request.
        return f;
    }

    private static void headers(HttpHeaders h, HttpResponse r, boolean keepAlive) {
        if (r.contentType() != null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        }
        for (Map.Entry<String, String> e : r.headers().entrySet()) {
            h.set(e.getKey(), e.getValue());
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    /** Eight hex digits: short enough to read out, enough to find one line among a day's. */
    static String incidentId() {
        return String.format("%08x", ThreadLocalRandom.current().nextInt());
    }

    /** Refuses relative paths and dot segments, which no route should have to think about. */
    static boolean isCleanPath(String path) {
        if (!path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return false;
        }
        for (String s : PathPattern.split(path)) {
            if (s.equals(".") || s.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(RandomAccessFile raf) {
        try {
            raf.close();
        } catch (IOException ignored) {
            // nothing was read from it
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        metrics.connectionOpened();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        metrics.connectionClosed();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A peer that resets the connection is routine; anything else is worth a line.
        if (cause instanceof IOException) {
            LOG.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("connection from {} failed", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
