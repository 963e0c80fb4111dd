package io.ironbell.action.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Writes buffers to the disk on a thread of its own while the caller fills the next ones, from a
 * fixed pool: memory stays at {@code count × size} bytes whatever the image. A write failure is
 * rethrown to the caller at its next {@link #buffer()} or at {@link #finish()}.
 */
final class WriteBehind implements AutoCloseable {

    private static final ByteBuffer END = ByteBuffer.allocate(0);

    private final FileChannel out;
    private final BlockingQueue<ByteBuffer> free;
    private final BlockingQueue<ByteBuffer> full;
    private final Thread thread;
    private volatile IOException failure;
    private volatile long written;

    WriteBehind(FileChannel out, int size, int count) {
        this.out = out;
        this.free = new ArrayBlockingQueue<>(count);
        this.full = new ArrayBlockingQueue<>(count + 1);
        for (int i = 0; i < count; i++) {
            free.add(ByteBuffer.allocate(size));
        }
        this.thread = new Thread(this::drain, "disk-image-write");
        thread.setDaemon(true);
        thread.start();
    }

    private void drain() {
        try {
            while (true) {
                ByteBuffer b = full.take();
                if (b == END) {
                    return;
                }
                if (failure == null) {
                    try {
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                        written += b.limit();
                    } catch (IOException e) {
                        failure = e;
                    }
                }
                b.clear();
                free.put(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Bytes on the disk so far. */
    long written() {
        return written;
    }

    /** An empty buffer to fill; waits while all are being written. */
    ByteBuffer buffer() throws IOException, InterruptedException {
        check();
        return free.take();
    }

    /** Queues a filled buffer (position 0, limit the bytes) for writing. */
    void write(ByteBuffer filled) throws IOException, InterruptedException {
        check();
        full.put(filled);
    }

    /** Waits until everything queued is written, then rethrows a failure if there was one. */
    void finish() throws IOException, InterruptedException {
        full.put(END);
        thread.join();
        check();
    }

    private void check() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw f;
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
