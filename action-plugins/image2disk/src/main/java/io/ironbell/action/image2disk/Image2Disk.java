package io.ironbell.action.image2disk;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.workflow.ActionStatus.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's image2disk, natively: streams {@code IMG_URL} (HTTP or HTTPS) onto
 * {@code DEST_DISK}, decompressing gzip, xz, zstd or bzip2 on the way ({@code COMPRESSION}, or
 * the URL's suffix with {@code COMPRESSED=true}), in a fixed 1 MiB buffer whatever the image's
 * size. It checks {@code IMG_CHECKSUM} ({@code sha256:HEX} or {@code sha512:HEX}, or a bare hex
 * digest of either length) over the bytes downloaded, resumes a dropped connection with HTTP
 * Range (also when no byte comes for {@code IMG_READ_TIMEOUT} seconds, 30 by default), reports
 * bytes, rate and percent, flushes the disk and has the kernel re-read its partition table. Nothing is reported as success unless all of that held.
 */
@Component(service = ActionPlugin.class, property = {ActionPlugin.TYPE + "=image2disk",
        ActionPlugin.IMAGES + "=quay.io/tinkerbell-actions/image2disk", ActionPlugin.IMAGES + "=quay.io/tinkerbell/actions/image2disk"})
public final class Image2Disk implements ActionPlugin {

    static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** How long a read of the body may wait before the download resumes: IMG_READ_TIMEOUT seconds. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String url = ctx.requireEnv("IMG_URL");
        Path disk = Path.of(ctx.requireEnv("DEST_DISK"));
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ActionException(Reason.INVALID_INPUT, "IMG_URL is not a URL: " + url);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new ActionException(Reason.INVALID_INPUT, "IMG_URL must be http:// or https://, was " + url);
        }
        Compression compression = Compression.of(ctx.env("COMPRESSION"), ctx.env("COMPRESSED"), url);
        Optional<Expected> expected = Expected.parse(ctx.env("IMG_CHECKSUM"));
        if (!Files.exists(disk)) {
            throw new ActionException(Reason.TARGET_FAILED, "DEST_DISK " + disk + " does not exist");
        }
        long start = System.nanoTime();
        long written = 0;
        ResumableDownload download;
        try {
            download = new ResumableDownload(uri, readTimeout(ctx), ctx::log);
        } catch (ResumableDownload.SourceException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot fetch " + url + ": " + e.getMessage());
        }
        MessageDigest digest = expected.map(Expected::digest).orElse(null);
        // three stages at once, as curl | zstd -d | dd are: the download (with the checksum) on a
        // thread, decompression here, the disk writes on another thread; 8 MiB in flight at most
        try (download; FileChannel out = FileChannel.open(disk, StandardOpenOption.WRITE);
             Prefetch fetched = new Prefetch(digest == null ? download : new DigestInputStream(download, digest), Compression.BUFFER, 4);
             WriteBehind writer = new WriteBehind(out, Compression.BUFFER, 4)) {
            InputStream data;
            try {
                data = compression.open(fetched);
            } catch (ResumableDownload.SourceException e) {
                throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
            } catch (IOException e) {
                throw new ActionException(Reason.UNSUPPORTED, url + " is not " + compression.name().toLowerCase(Locale.ROOT) + ": " + e.getMessage());
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
                    n = data.readNBytes(buf.array(), 0, buf.capacity());
                } catch (ResumableDownload.SourceException e) {
                    throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
                } catch (IOException e) {
                    throw readFailure(url, compression, download, e);
                }
                if (n == 0) {
                    break;
                }
                buf.limit(n);
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
                // also means the download thread has fed the checksum every byte
                if (fetched.read() >= 0) {
                    throw new ActionException(Reason.UNSUPPORTED, url + " holds more data after the "
                            + compression.name().toLowerCase(Locale.ROOT) + " stream ended; the image is not what it claims");
                }
            } catch (IOException e) {
                throw readFailure(url, compression, download, e);
            }
            try {
                writer.finish();
            } catch (IOException e) {
                throw writeFailure(disk, writer.written(), e);
            }
            try {
                out.force(true);
            } catch (IOException e) {
                throw new ActionException(Reason.TARGET_FAILED, "flushing " + disk + " failed: " + e.getMessage());
            }
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot open " + disk + " for writing: "
                    + (e instanceof NoSuchFileException ? "no such device" : e.getMessage()));
        }
        if (digest != null) {
            String got = HexFormat.of().formatHex(digest.digest());
            if (!got.equals(expected.get().hex())) {
                throw new ActionException(Reason.CHECKSUM_MISMATCH, url + " has " + expected.get().algorithm() + " " + got
                        + ", IMG_CHECKSUM says " + expected.get().hex() + "; " + disk + " holds what was downloaded and must not be trusted");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ctx.progress(new Progress(download.received(), download.received(), written / seconds));
        String reread = rereadPartitions(disk);
        String msg = String.format(Locale.ROOT, "wrote %,d bytes (%,d downloaded, %s, %d resumes) to %s in %.1f s (%.1f MiB/s)%s%s", written,
                download.received(), compression.name().toLowerCase(Locale.ROOT), download.resumes(), disk, seconds,
                written / seconds / (1 << 20), digest == null ? "" : ", " + expected.get().algorithm() + " verified", reread);
        ctx.log(msg);
        return ActionResult.success(msg);
    }

    private static Duration readTimeout(ActionContext ctx) throws ActionException {
        Optional<String> t = ctx.env("IMG_READ_TIMEOUT");
        if (t.isEmpty()) {
            return READ_TIMEOUT;
        }
        try {
            int seconds = Integer.parseInt(t.get().trim());
            if (seconds >= 1 && seconds <= 3600) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ActionException(Reason.INVALID_INPUT, "IMG_READ_TIMEOUT must be 1 to 3600 seconds, was '" + t.get() + "'");
    }

    private static ActionException readFailure(String url, Compression compression, ResumableDownload download, IOException e) {
        if (download.length() >= 0 && download.received() < download.length()) {
            return new ActionException(Reason.SOURCE_UNAVAILABLE, "download of " + url + " failed at byte " + download.received() + ": " + e.getMessage());
        }
        return new ActionException(Reason.UNSUPPORTED, url + " is not valid " + compression.name().toLowerCase(Locale.ROOT) + " data: " + e.getMessage());
    }

    private static ActionException writeFailure(Path disk, long at, IOException e) {
        return new ActionException(Reason.TARGET_FAILED, "writing " + disk + " failed at byte " + at
                + (isNoSpace(e) ? ": the disk is too small for the image" : ": " + e.getMessage()));
    }

    private static boolean isNoSpace(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left") || m.contains("ENOSPC");
    }

    /** Asks the kernel to re-read a block device's partition table; a regular file has none. */
    private static String rereadPartitions(Path disk) throws InterruptedException {
        if (Files.isRegularFile(disk)) {
            return "";
        }
        try {
            Path out = Files.createTempFile("blockdev", ".out");
            try {
                Process p = new ProcessBuilder("blockdev", "--rereadpt", disk.toString()).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "; the partition table was not re-read: blockdev did not finish in 30 s";
                }
                if (p.exitValue() != 0) {
                    return "; the partition table was not re-read: " + Files.readString(out).trim();
                }
            } finally {
                Files.deleteIfExists(out);
            }
            return "; partition table re-read";
        } catch (IOException e) {
            return "; the partition table was not re-read (blockdev: " + e.getMessage() + ")";
        }
    }

    /** IMG_CHECKSUM: {@code sha256:HEX}, {@code sha512:HEX}, or a bare hex digest of either length. */
    record Expected(String algorithm, String hex) {
        static Optional<Expected> parse(Optional<String> text) throws ActionException {
            if (text.isEmpty()) {
                return Optional.empty();
            }
            String t = text.get().trim().toLowerCase(Locale.ROOT);
            String alg;
            String hex;
            int colon = t.indexOf(':');
            if (colon > 0) {
                alg = t.substring(0, colon);
                hex = t.substring(colon + 1);
            } else {
                hex = t;
                alg = hex.length() == 64 ? "sha256" : hex.length() == 128 ? "sha512" : "";
            }
            int want = alg.equals("sha256") ? 64 : alg.equals("sha512") ? 128 : -1;
            if (want < 0 || hex.length() != want || !hex.matches("[0-9a-f]+")) {
                throw new ActionException(Reason.INVALID_INPUT, "IMG_CHECKSUM must be sha256:<64 hex digits> or sha512:<128 hex digits>, was '"
                        + text.get() + "'");
            }
            return Optional.of(new Expected(alg, hex));
        }

        MessageDigest digest() {
            try {
                return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
