package io.ironbell.action.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a thread of its own, a few chunks ahead of the reader, so that the
 * download and the decompression run at once (as {@code curl | zstd -d} do in two processes).
 * Memory stays bounded: at most {@code depth} chunks of {@code chunk} bytes wait. A failure of
 * the source reaches the reader at the point where it happened.
 */
final class Prefetch extends InputStream {

    private static final byte[] END = new byte[0];

    private final InputStream source;
    private final BlockingQueue<Object> chunks;
    private final BlockingQueue<byte[]> free;
    private final Thread thread;
    private byte[] current = new byte[0];
    private int currentLength;
    private int pos;
    private boolean ended;

    Prefetch(InputStream source, int chunk, int depth) {
        this.source = source;
        this.chunks = new ArrayBlockingQueue<>(depth);
        // depth chunks queued, one being filled, one being read: allocated once, then reused
        this.free = new ArrayBlockingQueue<>(depth + 2);
        for (int i = 0; i < depth + 2; i++) {
            free.add(new byte[chunk]);
        }
        this.thread = new Thread(() -> fill(chunk), "disk-image-download");
        thread.setDaemon(true);
        thread.start();
    }

    private void fill(int chunk) {
        try {
            while (true) {
                byte[] b = free.take();
                int n = source.readNBytes(b, 0, chunk);
                if (n == 0) {
                    chunks.put(END);
                    return;
                }
                chunks.put(new Chunk(b, n));
            }
        } catch (IOException | RuntimeException e) {
            chunks.clear();
            chunks.offer(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Chunk(byte[] bytes, int length) {
    }

    private boolean next() throws IOException {
        if (ended) {
            return false;
        }
        Object o;
        try {
            o = chunks.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the download");
        }
        if (o == END) {
            ended = true;
            return false;
        }
        if (o instanceof IOException e) {
            ended = true;
            throw e;
        }
        if (o instanceof RuntimeException e) {
            ended = true;
            throw e;
        }
        Chunk c = (Chunk) o;
        if (current.length > 0) {
            free.offer(current);
        }
        current = c.bytes();
        currentLength = c.length();
        pos = 0;
        return true;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pos >= currentLength) {
            if (!next()) {
                return -1;
            }
        }
        int n = Math.min(len, currentLength - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Bytes readable without waiting: a decompressor asks this to find the next gzip member. */
    @Override
    public int available() {
        int left = currentLength - pos;
        return left > 0 ? left : chunks.isEmpty() || ended ? 0 : 1;
    }

    @Override
    public void close() throws IOException {
        thread.interrupt();
        source.close();
    }
}
