package io.ironbell.action.support;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.ironbell.api.action.ActionException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.MemoryLimitException;
import org.tukaani.xz.XZInputStream;

/** How an image or archive is compressed: named by a setting, or by its name's suffix. */
public enum Compression {
    NONE, GZIP, XZ, ZSTD, BZIP2;

    /** The size of the buffers that disk actions read and write with. */
    public static final int BUFFER = 1 << 20;

    /**
     * Heap, in KiB, that xz's dictionary must leave to the rest: the worker itself (12 MiB live),
     * an image's buffers (up to 11 MiB) and the log queue (2 MiB), less a little that the young
     * generation holds.
     */
    private static final long XZ_RESERVED_KIB = 24 * 1024;

    /**
     * The compression of an image: {@code COMPRESSION} (none, gzip, xz, zstd, bzip2) wins; else,
     * as Tinkerbell's {@code COMPRESSED=true} asks, the URL's suffix decides; else none.
     *
     * @throws ActionException INVALID_INPUT for a compression this plugin does not know
     */
    public static Compression of(Optional<String> setting, Optional<String> compressed, String url) throws ActionException {
        if (setting.isPresent()) {
            return switch (setting.get().trim().toLowerCase(Locale.ROOT)) {
                case "none", "raw", "false" -> NONE;
                case "gzip", "gz" -> GZIP;
                case "xz" -> XZ;
                case "zstd", "zst" -> ZSTD;
                case "bzip2", "bz2" -> BZIP2;
                default -> throw new ActionException(ActionException.Reason.INVALID_INPUT,
                        "COMPRESSION must be none, gzip, xz, zstd or bzip2, was '" + setting.get() + "'");
            };
        }
        String path = url.replaceAll("[?#].*$", "").toLowerCase(Locale.ROOT);
        Compression bySuffix = path.endsWith(".gz") || path.endsWith(".tgz") ? GZIP
                : path.endsWith(".xz") ? XZ
                : path.endsWith(".zst") || path.endsWith(".zstd") ? ZSTD
                : path.endsWith(".bz2") ? BZIP2
                : NONE;
        if (compressed.map(c -> c.equalsIgnoreCase("true")).orElse(false) && bySuffix == NONE) {
            throw new ActionException(ActionException.Reason.UNSUPPORTED, "COMPRESSED=true but the suffix of " + url
                    + " names no known compression (.gz, .xz, .zst, .bz2); set COMPRESSION");
        }
        return bySuffix;
    }

    /**
     * The decompressed stream. gzip and zstd read in large blocks of their own, so they read
     * {@code in} directly (a buffer in between would copy every byte once more); xz and bzip2
     * read a few bytes at a time and get a buffer.
     *
     * <p>xz data whose dictionary needs more memory than this JVM can spare (see {@link
     * #xzMemoryLimitKiB}) is refused on the first read with an {@link IOException} that names
     * what it needs and the limit, instead of running the worker out of memory.
     */
    public InputStream open(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, BUFFER);
            case XZ -> new LimitedXz(new BufferedInputStream(in, BUFFER), xzMemoryLimitKiB(Runtime.getRuntime().maxMemory()));
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
            case BZIP2 -> new BZip2CompressorInputStream(new BufferedInputStream(in, BUFFER), true);
        };
    }

    /**
     * The most memory, in KiB, the xz decoder may take in a JVM whose heap is {@code maxHeapBytes}.
     * Its dictionary is one array, which must fit in the old generation (two thirds of the heap
     * with the serial collector that the in-memory OS runs the worker with) beside everything
     * else the worker holds. With the worker's 64 MiB that is 17 MiB: what {@code xz -7} (16 MiB
     * dictionary) and lower presets make; {@code xz -8} and {@code -9} (32 and 64 MiB) need a
     * heap of 128 and 160 MiB.
     */
    static int xzMemoryLimitKiB(long maxHeapBytes) {
        long kib = maxHeapBytes / 1024 * 2 / 3 - XZ_RESERVED_KIB;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, kib));
    }

    /** An xz stream within a memory limit, which says what to do when data needs more. */
    private static final class LimitedXz extends FilterInputStream {

        LimitedXz(InputStream in, int limitKiB) throws IOException {
            super(new XZInputStream(in, limitKiB));
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (MemoryLimitException e) {
                throw explain(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (MemoryLimitException e) {
                throw explain(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (MemoryLimitException e) {
                throw explain(e);
            }
        }

        private static IOException explain(MemoryLimitException e) {
            return new IOException("beyond this worker's memory: decompressing it needs " + (e.getMemoryNeeded() + 1023) / 1024
                    + " MiB (its LZMA2 dictionary: xz -8 and -9 make 32 and 64 MiB ones), over the limit of "
                    + e.getMemoryLimit() / 1024 + " MiB that the worker's heap allows; recompress it with xz -7 or lower, "
                    + "or give the worker more heap (IRONBELL_WORKER_OPTS=-Xmx160m for xz -9)", e);
        }
    }
}
