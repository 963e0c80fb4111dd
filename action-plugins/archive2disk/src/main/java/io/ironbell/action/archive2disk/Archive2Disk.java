package io.ironbell.action.archive2disk;

import io.ironbell.action.support.Checksum;
import io.ironbell.action.support.Compression;
import io.ironbell.action.support.Mount;
import io.ironbell.action.support.ResumableDownload;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.workflow.ActionStatus.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's archive2disk, natively and safer: {@code ARCHIVE_URL} (a tar, plain or compressed
 * with gzip, xz, zstd or bzip2 by {@code ARCHIVE_TYPE} or the URL's suffix) extracted onto the file
 * system on {@code DEST_DISK} ({@code FS_TYPE}) under {@code DEST_PATH}. Where Tinkerbell's checks
 * the checksum after writing, never unmounts and lets entries escape DEST_PATH, this one extracts
 * into a staging directory on the same file system while {@code TARFILE_CHECKSUM} is computed over
 * the download, moves the entries into place only when it matched (a mismatch leaves nothing
 * behind), refuses entries that would leave DEST_PATH, keeps modes, owners, links and times, and
 * always unmounts. Without a checksum it refuses to run unless
 * {@code INSECURE_NO_TARFILE_CHECKSUM_VERIFICATION=true}.
 */
@Component(service = ActionPlugin.class)
@ActionType("archive2disk")
@ActionImages({"quay.io/tinkerbell-actions/archive2disk", "quay.io/tinkerbell/actions/archive2disk"})
public final class Archive2Disk implements ActionPlugin {

    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String url = ctx.requireEnv("ARCHIVE_URL");
        String disk = ctx.requireEnv("DEST_DISK");
        String fsType = ctx.requireEnv("FS_TYPE");
        String destPath = ctx.requireEnv("DEST_PATH");
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ActionException(Reason.INVALID_INPUT, "ARCHIVE_URL is not a URL: " + url);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new ActionException(Reason.INVALID_INPUT, "ARCHIVE_URL must be http:// or https://, was " + url);
        }
        Compression compression = compression(ctx.env("ARCHIVE_TYPE"), url);
        Optional<Checksum> checksum = Checksum.parse("TARFILE_CHECKSUM", ctx.env("TARFILE_CHECKSUM"));
        if (checksum.isEmpty()) {
            if (!ctx.env("INSECURE_NO_TARFILE_CHECKSUM_VERIFICATION").orElse("false").equalsIgnoreCase("true")) {
                throw new ActionException(Reason.INVALID_INPUT, "TARFILE_CHECKSUM (sha256:HEX or sha512:HEX) is required, "
                        + "unless INSECURE_NO_TARFILE_CHECKSUM_VERIFICATION=true");
            }
            ctx.log("warning: extracting " + url + " without a checksum (INSECURE_NO_TARFILE_CHECKSUM_VERIFICATION=true)");
        }
        String relative = destPath.replaceAll("^/+", "");
        if (List.of(relative.split("/")).contains("..")) {
            throw new ActionException(Reason.INVALID_INPUT, "DEST_PATH must not contain '..', was " + destPath);
        }
        long start = System.nanoTime();
        Extraction.Counts counts;
        ResumableDownload download = null;
        try (Mount m = Mount.of(disk, fsType)) {
            Path dest = m.root().resolve(relative).normalize();
            Path staging;
            try {
                for (Path p = m.root(); !p.equals(dest); ) {
                    p = p.resolve(dest.getName(p.getNameCount()).toString());
                    if (Files.isSymbolicLink(p)) {
                        throw new ActionException(Reason.INVALID_INPUT, "DEST_PATH " + destPath + " goes through a symbolic link on " + disk);
                    }
                }
                Files.createDirectories(dest);
                staging = Files.createTempDirectory(dest, ".ironbell-archive2disk-");
            } catch (IOException e) {
                throw new ActionException(Reason.TARGET_FAILED, "cannot make " + destPath + " on " + disk + ": " + e.getMessage());
            }
            try {
                try {
                    download = new ResumableDownload(uri, READ_TIMEOUT, Map.of(), ctx::log);
                } catch (ResumableDownload.SourceException e) {
                    throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
                } catch (IOException e) {
                    throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot fetch " + url + ": " + e.getMessage());
                }
                MessageDigest digest = checksum.map(Checksum::digest).orElse(null);
                Extraction extraction = new Extraction(staging);
                ResumableDownload d = download;
                InputStream counted = new ProgressStream(digest == null ? d : new DigestInputStream(d, digest),
                        n -> ctx.progress(new Progress(d.received(), d.length(), -1)));
                try (InputStream data = compression.open(counted); TarArchiveInputStream tar = new TarArchiveInputStream(data)) {
                    extraction.extract(tar, ctx::isCancelled);
                    Extraction.drain(data);
                    Extraction.drain(counted);
                } catch (ResumableDownload.SourceException e) {
                    throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
                } catch (IOException e) {
                    if (d.failed()) {
                        throw new ActionException(Reason.SOURCE_UNAVAILABLE, "download of " + url + " failed at byte " + d.received() + ": " + e.getMessage());
                    }
                    throw new ActionException(isTargetProblem(e) ? Reason.TARGET_FAILED : Reason.UNSUPPORTED,
                            url + " could not be extracted as a " + compression.name().toLowerCase(Locale.ROOT) + " tar: " + e.getMessage());
                }
                if (digest != null) {
                    checksum.get().verify(digest, url, "nothing was installed");
                }
                Extraction.moveInto(staging, dest);
                extraction.finishDirectories(dest);
                counts = extraction.counts();
            } catch (IOException e) {
                throw new ActionException(Reason.TARGET_FAILED, "installing into " + destPath + " on " + disk + " failed: " + e.getMessage());
            } finally {
                try {
                    Extraction.deleteTree(staging);
                } catch (IOException e) {
                    ctx.log("could not remove the staging directory " + staging.getFileName() + ": " + e.getMessage());
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String msg = String.format(Locale.ROOT, "extracted %d entries (%d files, %d directories, %d symbolic links, %d hard links%s, %,d bytes) "
                        + "from %s (%,d bytes, %s%s) into %s on %s in %.1f s", counts.entries(), counts.files(), counts.directories(),
                counts.symlinks(), counts.hardlinks(), counts.skipped() > 0 ? ", " + counts.skipped() + " device or fifo entries skipped" : "",
                counts.bytes(), url, download.received(), compression.name().toLowerCase(Locale.ROOT),
                checksum.map(c -> ", " + c.algorithm() + " verified").orElse(""), destPath, disk, seconds);
        ctx.log(msg);
        return ActionResult.success(msg);
    }

    private static boolean isTargetProblem(IOException e) {
        String m = String.valueOf(e.getMessage());
        return e instanceof java.nio.file.FileSystemException || m.contains("No space left");
    }

    /** ARCHIVE_TYPE (Tinkerbell's tar and targz, and more), else the URL's suffix. */
    static Compression compression(Optional<String> type, String url) throws ActionException {
        if (type.isPresent()) {
            return switch (type.get().trim().toLowerCase(Locale.ROOT)) {
                case "tar" -> Compression.NONE;
                case "targz", "tgz", "tar.gz", "gz", "gzip" -> Compression.GZIP;
                case "tarxz", "txz", "tar.xz", "xz" -> Compression.XZ;
                case "tarzst", "tzst", "tar.zst", "zst", "zstd" -> Compression.ZSTD;
                case "tarbz2", "tbz2", "tar.bz2", "bz2", "bzip2" -> Compression.BZIP2;
                default -> throw new ActionException(Reason.INVALID_INPUT, "ARCHIVE_TYPE must be tar, targz, tarxz, tarzst or tarbz2, was '"
                        + type.get() + "'");
            };
        }
        String path = url.replaceAll("[?#].*$", "").toLowerCase(Locale.ROOT);
        if (path.endsWith(".tbz2")) {
            return Compression.BZIP2;
        }
        if (path.endsWith(".txz")) {
            return Compression.XZ;
        }
        if (path.endsWith(".tzst")) {
            return Compression.ZSTD;
        }
        return Compression.of(Optional.empty(), Optional.empty(), path);
    }

    /** Counts what passes, and tells progress every 8 MiB. */
    private static final class ProgressStream extends java.io.FilterInputStream {
        private final java.util.function.LongConsumer report;
        private long count;
        private long next = 8 << 20;

        ProgressStream(InputStream in, java.util.function.LongConsumer report) {
            super(in);
            this.report = report;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                advance(n);
            }
            return n;
        }

        private void advance(long n) {
            count += n;
            if (count >= next) {
                next = count + (8 << 20);
                report.accept(count);
            }
        }
    }
}
