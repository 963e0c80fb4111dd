package io.ironbell.http.internal;

import io.ironbell.api.http.ResponseStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A chunked response body that a route writes to from any thread. A client that reads too
 * slowly (the channel stays unwritable) is disconnected rather than buffered without bound.
 */
final class StreamingBody implements ResponseStream {

    private final Channel channel;
    private final boolean keepAlive;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Runnable> onClose = new CopyOnWriteArrayList<>();

    StreamingBody(Channel channel, boolean keepAlive) {
        this.channel = channel;
        this.keepAlive = keepAlive;
        channel.closeFuture().addListener(f -> finish());
    }

    @Override
    public boolean write(byte[] bytes) {
        if (!isOpen()) {
            return false;
        }
        if (!channel.isWritable()) {
            // The outbound buffer is past its high-water mark: the client is not reading.
            channel.close();
            return false;
        }
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
        return true;
    }

    @Override
    public boolean isOpen() {
        return !closed.get() && channel.isActive();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            var f = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
            runOnClose();
        }
    }

    @Override
    public void onClose(Runnable action) {
        onClose.add(action);
        if (closed.get() || !channel.isActive()) {
            finish();
        }
    }

    private void finish() {
        closed.set(true);
        runOnClose();
    }

    private void runOnClose() {
        for (Runnable r : onClose) {
            if (onClose.remove(r)) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(StreamingBody.class).warn("stream close action failed", e);
                }
            }
        }
    }
}
