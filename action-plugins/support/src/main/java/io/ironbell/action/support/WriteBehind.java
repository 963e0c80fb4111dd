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
 *
 * <p>With a channel opened for direct I/O ({@code O_DIRECT}) the buffers are off-heap and aligned
 * to {@value #ALIGN} bytes, and the data bypasses the page cache, as {@code dd oflag=direct} does:
 * on a block device that is several times faster than cached writes and keeps the in-memory OS's
 * RAM free. A last piece shorter than the alignment goes through {@code tail}, an ordinary channel.
 */
final class WriteBehind implements AutoCloseable {

    private static final ByteBuffer END = ByteBuffer.allocate(0);

    /** Alignment of direct I/O: a multiple of every logical block size in use (512, 4096). */
    static final int ALIGN = 4096;

    private final FileChannel out;
    private final FileChannel tail;
    private long position;
    private final BlockingQueue<ByteBuffer> free;
    private final BlockingQueue<ByteBuffer> full;
    private final Thread thread;
    private volatile IOException failure;
    private volatile long written;

    /**
     * @param out  where to write, from its start
     * @param tail null for an ordinary channel; for a direct one, an ordinary channel on the same
     *             file for the last bytes that do not fill an aligned block
     */
    WriteBehind(FileChannel out, FileChannel tail, int size, int count) {
        this.out = out;
        this.tail = tail;
        this.free = new ArrayBlockingQueue<>(count);
        this.full = new ArrayBlockingQueue<>(count + 1);
        for (int i = 0; i < count; i++) {
            free.add(tail == null ? ByteBuffer.allocate(size) : ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN));
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
                        int length = b.limit();
                        if (tail != null && length % ALIGN != 0) {
                            // the image's last bytes: the aligned part directly, the rest through the cache
                            b.limit(length - length % ALIGN);
                            writeFully(out, b, position);
                            b.limit(length);
                            writeFully(tail, b, position + b.position());
                        } else {
                            writeFully(out, b, position);
                        }
                        position += length;
                        written += length;
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

    static void writeFully(FileChannel c, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            p += c.write(b, p);
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
