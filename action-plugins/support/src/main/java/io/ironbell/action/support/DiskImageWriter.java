package io.ironbell.action.support;

import com.sun.nio.file.ExtendedOpenOption;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.workflow.ActionStatus.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Streams a download onto a block device, decompressing on the way, in bounded memory: the
 * download (and its digest) on one thread, decompression on the caller's, the disk writes on a
 * third, as {@code curl | zstd -d | dd} are three processes; at most 8 MiB in flight whatever
 * the image's size. Reports progress, flushes the device, has the download verified and only
 * then has the kernel re-read its partition table. image2disk and oci2disk write through it.
 *
 * <p>A disk that received part of an image, or an image that failed its verification, would
 * still boot: the failed workflow is not unfinished, so the machine's next netboot goes on to the
 * disk. Before such a failure is thrown, the first and last MiB of the disk (the boot code, the
 * primary and the backup partition table) are zeroed and the partition table is re-read, and the
 * failure's message says so, or says that the wipe failed.
 */
public final class DiskImageWriter {

    /** How often progress is reported. */
    public static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * What was written.
     *
     * @param bytes          bytes written to the device (decompressed)
     * @param received       bytes downloaded (compressed)
     * @param seconds        how long it took
     * @param partitionTable what became of re-reading the partition table, for the message
     */
    public record Written(long bytes, long received, double seconds, String partitionTable) {

        /** Decompressed throughput in MiB/s. */
        public double mibPerSecond() {
            return bytes / seconds / (1 << 20);
        }
    }

    /**
     * What the download must be (a digest, a size), checked once all of it is on the disk and
     * flushed, and before the kernel re-reads the disk's partition table.
     */
    @ConsumerType
    @FunctionalInterface
    public interface Verification {

        /**
         * Checks the finished download.
         *
         * @param received bytes downloaded (compressed), all of them also fed to the digest given
         *                 to {@link DiskImageWriter#write}
         * @throws ActionException when the download is not what it should be (CHECKSUM_MISMATCH,
         *                         naming both values); the disk is then wiped, and the message
         *                         thrown by {@code write} is this one with what became of the disk
         */
        void verify(long received) throws ActionException;
    }

    private DiskImageWriter() {
    }

    /**
     * Writes the whole download to {@code disk} with nothing to verify: as {@link #write(ActionContext,
     * ResumableDownload, MessageDigest, Compression, Path, Verification)} with a verification that
     * accepts everything. A {@code digest} given here is checked by the caller after the partition
     * table was re-read, and a mismatch leaves the image on the disk: verify through the other form.
     *
     * @param ctx         where progress and cancellation come from
     * @param download    the source; closed here
     * @param digest      updated with every downloaded byte, or null
     * @param compression how the download is compressed
     * @param disk        the block device (or a file)
     * @return what was written
     * @throws ActionException as the other form does
     */
    public static Written write(ActionContext ctx, ResumableDownload download, MessageDigest digest, Compression compression, Path disk)
            throws ActionException, InterruptedException {
        return write(ctx, download, digest, compression, disk, received -> { });
    }

    /**
     * Writes the whole download to {@code disk}, verifies it, and has the partition table re-read.
     * When any of that fails after the first byte went to the disk (also when the action is
     * cancelled or interrupted), the disk's first and last MiB are zeroed before the failure is
     * thrown, with its message telling what became of the disk.
     *
     * @param ctx          where progress and cancellation come from
     * @param download     the source; closed here
     * @param digest       updated with every downloaded byte (for {@code verification} to check),
     *                     or null
     * @param compression  how the download is compressed
     * @param disk         the block device (or a file)
     * @param verification checks the download once it is on the disk
     * @return what was written
     * @throws ActionException SOURCE_UNAVAILABLE, UNSUPPORTED (corrupt data, trailing data),
     *                         TARGET_FAILED (the disk is missing, too small, or failed), or what
     *                         {@code verification} threw (CHECKSUM_MISMATCH)
     * @since 1.1
     */
    public static Written write(ActionContext ctx, ResumableDownload download, MessageDigest digest, Compression compression, Path disk,
            Verification verification) throws ActionException, InterruptedException {
        String source = download.uri().toString();
        if (!Files.exists(disk)) {
            throw new ActionException(Reason.TARGET_FAILED, "DEST_DISK " + disk + " does not exist");
        }
        long start = System.nanoTime();
        long written = 0;
        boolean direct = !Files.isRegularFile(disk);
        boolean touched = false;
        boolean complete = false;
        try {
            try (download; FileChannel out = open(disk, direct); FileChannel tail = direct ? FileChannel.open(disk, StandardOpenOption.WRITE) : null;
                 Prefetch fetched = new Prefetch(digest == null ? download : new DigestInputStream(download, digest), Compression.BUFFER, 4);
                 WriteBehind writer = new WriteBehind(out, tail, Compression.BUFFER, 4)) {
                byte[] staging = direct ? new byte[Compression.BUFFER] : null;
                InputStream data;
                try {
                    data = compression.open(fetched);
                } catch (ResumableDownload.SourceException e) {
                    throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
                } catch (IOException e) {
                    throw new ActionException(Reason.UNSUPPORTED, source + " is not " + name(compression) + ": " + e.getMessage());
                }
                long lastReport = start;
                long lastBytes = 0;
                while (true) {
                    ctx.checkCancelled();
                    ByteBuffer buf;
                    try {
                        buf = writer.buffer();
                    } catch (IOException e) {
                        throw writeFailure(disk, writer.written(), e);
                    }
                    int n;
                    try {
                        if (staging == null) {
                            n = data.readNBytes(buf.array(), 0, buf.capacity());
                        } else {
                            n = data.readNBytes(staging, 0, Math.min(staging.length, buf.capacity()));
                            buf.put(staging, 0, n).flip();
                        }
                    } catch (ResumableDownload.SourceException e) {
                        throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
                    } catch (IOException e) {
                        throw readFailure(source, compression, download, e);
                    }
                    if (n == 0) {
                        break;
                    }
                    buf.limit(n);
                    touched = true;
                    try {
                        writer.write(buf);
                    } catch (IOException e) {
                        throw writeFailure(disk, writer.written(), e);
                    }
                    written += n;
                    long now = System.nanoTime();
                    if (now - lastReport >= PROGRESS_EVERY_NANOS) {
                        double rate = (written - lastBytes) / ((now - lastReport) / 1e9);
                        ctx.progress(new Progress(download.received(), download.length(), rate));
                        lastReport = now;
                        lastBytes = written;
                    }
                }
                try {
                    // the decompressor stopped: nothing may follow the image, and reading to the end
                    // also means the download thread has fed the digest every byte
                    if (fetched.read() >= 0) {
                        throw new ActionException(Reason.UNSUPPORTED, source + " holds more data after the "
                                + name(compression) + " stream ended; the image is not what it claims");
                    }
                } catch (IOException e) {
                    throw readFailure(source, compression, download, e);
                }
                try {
                    writer.finish();
                } catch (IOException e) {
                    throw writeFailure(disk, writer.written(), e);
                }
                try {
                    out.force(true);
                    if (tail != null) {
                        tail.force(true);
                    }
                } catch (IOException e) {
                    throw new ActionException(Reason.TARGET_FAILED, "flushing " + disk + " failed: " + e.getMessage());
                }
            } catch (IOException e) {
                throw new ActionException(Reason.TARGET_FAILED, "cannot open " + disk + " for writing: "
                        + (e instanceof NoSuchFileException ? "no such device" : e.getMessage()));
            }
            // the channels are closed, and a FileChannel's close waits for writes in progress: no
            // byte of the image can reach the disk after this point
            complete = true;
            verification.verify(download.received());
        } catch (ActionException e) {
            if (!touched) {
                throw e;
            }
            throw new ActionException(e.reason(), e.getMessage() + "; " + wipe(ctx, disk, complete ? "unverified" : "partly written"), e);
        } catch (InterruptedException | RuntimeException e) {
            if (touched) {
                wipe(ctx, disk, "partly written");
            }
            throw e;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ctx.progress(new Progress(download.received(), download.received(), written / seconds));
        return new Written(written, download.received(), seconds, rereadPartitions(disk));
    }

    /**
     * Opens the target: a block device for direct I/O (bypassing the page cache), a file as it is.
     * A device that refuses direct I/O is written through the cache.
     */
    static FileChannel open(Path disk, boolean direct) throws IOException {
        if (direct) {
            try {
                return FileChannel.open(disk, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            } catch (UnsupportedOperationException | IOException e) {
                // not every driver takes O_DIRECT; the cache is slower, not wrong
            }
        }
        return FileChannel.open(disk, StandardOpenOption.WRITE);
    }

    private static String name(Compression c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    private static ActionException readFailure(String source, Compression compression, ResumableDownload download, IOException e) {
        if (download.failed()) {
            return new ActionException(Reason.SOURCE_UNAVAILABLE, "download of " + source + " failed at byte " + download.received() + ": " + e.getMessage());
        }
        return new ActionException(Reason.UNSUPPORTED, source + " is not valid " + name(compression) + " data: " + e.getMessage());
    }

    private static ActionException writeFailure(Path disk, long at, IOException e) {
        String m = String.valueOf(e.getMessage());
        boolean noSpace = m.contains("No space left") || m.contains("ENOSPC");
        return new ActionException(Reason.TARGET_FAILED, "writing " + disk + " failed at byte " + at
                + (noSpace ? ": the disk is too small for the image" : ": " + m));
    }

    /**
     * Zeroes the disk's first and last MiB and has the partition table re-read, so that what it
     * holds neither boots nor shows partitions; the interrupt status, if set, is kept for after.
     *
     * @param image what the disk holds, for the message: "unverified", "partly written"
     * @return what became of the disk, for the failure's message (also logged)
     */
    private static String wipe(ActionContext ctx, Path disk, String image) {
        // an interrupted thread can neither write a FileChannel nor wait for blockdev
        boolean interrupted = Thread.interrupted();
        String outcome;
        try {
            Wipe.ends(disk);
            outcome = "the first and last MiB of " + disk + " were zeroed so that the " + image + " image cannot boot";
            try {
                outcome += rereadPartitions(disk);
            } catch (InterruptedException e) {
                interrupted = true;
                outcome += "; the partition table was not re-read: interrupted";
            }
        } catch (IOException | RuntimeException e) {
            outcome = "zeroing the first and last MiB of " + disk + " failed (" + e.getMessage() + "), so the " + image
                    + " image may still boot: wipe the disk before the machine boots from it";
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        ctx.log(outcome);
        return outcome;
    }

    /** Asks the kernel to re-read a block device's partition table; a regular file has none. */
    private static String rereadPartitions(Path disk) throws InterruptedException {
        if (Files.isRegularFile(disk)) {
            return "";
        }
        try {
            Tools.run(java.util.List.of("blockdev", "--rereadpt", disk.toString()), "re-reading the partition table of " + disk,
                    Duration.ofSeconds(30), Reason.TARGET_FAILED);
            return "; partition table re-read";
        } catch (ActionException e) {
            // a loop device without partition scanning says EINVAL: the image is written all the same
            return "; the partition table was not re-read: " + e.getMessage();
        }
    }
}
