package io.ironbell.api.tftp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The content of one TFTP transfer: a size known in advance (for the tsize option) and reads at
 * any position, since blocks are resent after a loss. Closed when the transfer ends.
 */
public interface TftpFile extends Closeable {

    /** The size in bytes. */
    long size();

    /**
     * Copies bytes from {@code position} into {@code dst} until it is full or the file ends.
     *
     * @return the bytes copied, fewer than {@code dst.remaining()} only at the end of the file
     */
    int read(long position, ByteBuffer dst) throws IOException;

    @Override
    default void close() throws IOException {
    }

    /** A file held in memory; the array must not change while it is served. */
    static TftpFile of(byte[] content) {
        Objects.requireNonNull(content, "content");
        ByteBuffer all = ByteBuffer.wrap(content).asReadOnlyBuffer();
        return of(all);
    }

    /** A file whose bytes are {@code content}'s position to limit; the buffer is not modified. */
    static TftpFile of(ByteBuffer content) {
        ByteBuffer all = content.slice().asReadOnlyBuffer();
        return new TftpFile() {
            @Override
            public long size() {
                return all.capacity();
            }

            @Override
            public int read(long position, ByteBuffer dst) {
                if (position >= all.capacity()) {
                    return 0;
                }
                int n = (int) Math.min(dst.remaining(), all.capacity() - position);
                dst.put(dst.position(), all, (int) position, n);
                dst.position(dst.position() + n);
                return n;
            }
        };
    }

    /**
     * A file on disk, mapped into memory when it fits (no system call per block) and read with
     * positional reads otherwise.
     */
    static TftpFile of(Path file) throws IOException {
        try (var channel = FileChannel.open(file)) {
            long size = channel.size();
            if (size <= Integer.MAX_VALUE) {
                return of(size == 0 ? ByteBuffer.allocate(0)
                        : channel.map(FileChannel.MapMode.READ_ONLY, 0, size));
            }
        }
        var channel = FileChannel.open(file);
        long size = channel.size();
        return new TftpFile() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                int total = 0;
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, position + total);
                    if (n < 0) {
                        break;
                    }
                    total += n;
                }
                return total;
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }
}
