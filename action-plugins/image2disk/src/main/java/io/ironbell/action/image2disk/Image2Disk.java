package io.ironbell.action.image2disk;

import io.ironbell.action.support.Checksum;
import io.ironbell.action.support.Compression;
import io.ironbell.action.support.DiskImageWriter;
import io.ironbell.action.support.ResumableDownload;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's image2disk, natively: streams {@code IMG_URL} (HTTP or HTTPS) onto
 * {@code DEST_DISK}, decompressing gzip, xz, zstd or bzip2 on the way ({@code COMPRESSION}, or
 * the URL's suffix with {@code COMPRESSED=true}), in a fixed amount of memory whatever the image's
 * size. It checks {@code IMG_CHECKSUM} ({@code sha256:HEX} or {@code sha512:HEX}, or a bare hex
 * digest of either length) over the bytes downloaded, resumes a dropped connection with HTTP
 * Range (also when no byte comes for {@code IMG_READ_TIMEOUT} seconds, 30 by default), reports
 * bytes, rate and percent, flushes the disk and has the kernel re-read its partition table.
 * Nothing is reported as success unless all of that held. An image that does not match
 * IMG_CHECKSUM, or was written only in part, is made unbootable before the action fails: the first
 * and last MiB of the disk are zeroed ({@link DiskImageWriter}). An {@code http://} URL needs
 * IMG_CHECKSUM, since anyone on the way can alter what it serves, unless
 * {@code INSECURE_NO_IMG_CHECKSUM_VERIFICATION=true}; {@code https://} may go without (TLS
 * verified the server).
 */
@Component(service = ActionPlugin.class)
@ActionType("image2disk")
@ActionImages({"quay.io/tinkerbell-actions/image2disk", "quay.io/tinkerbell/actions/image2disk"})
public final class Image2Disk implements ActionPlugin {

    /** How long a read of the body may wait before the download resumes: IMG_READ_TIMEOUT seconds. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    /** Set to true, lets an http:// IMG_URL be written without IMG_CHECKSUM. */
    static final String UNVERIFIED = "INSECURE_NO_IMG_CHECKSUM_VERIFICATION";

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
        Optional<Checksum> expected = Checksum.parse("IMG_CHECKSUM", ctx.env("IMG_CHECKSUM"));
        if (expected.isEmpty() && "http".equalsIgnoreCase(uri.getScheme())) {
            if (!ctx.env(UNVERIFIED).orElse("false").equalsIgnoreCase("true")) {
                throw new ActionException(Reason.INVALID_INPUT, "IMG_CHECKSUM (sha256:HEX or sha512:HEX) is required for an http:// IMG_URL, "
                        + "whose image anyone on the way can alter; give it, use https://, or set " + UNVERIFIED + "=true");
            }
            ctx.log("warning: writing " + url + " unverified, over plain HTTP without IMG_CHECKSUM (" + UNVERIFIED + "=true)");
        }
        Duration readTimeout = readTimeout(ctx);
        if (!disk.toFile().exists()) {
            throw new ActionException(Reason.TARGET_FAILED, "DEST_DISK " + disk + " does not exist");
        }
        ResumableDownload download;
        try {
            download = new ResumableDownload(uri, readTimeout, Map.of(), ctx::log);
        } catch (ResumableDownload.SourceException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, e.getMessage());
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot fetch " + url + ": " + e.getMessage());
        }
        MessageDigest digest = expected.map(Checksum::digest).orElse(null);
        DiskImageWriter.Written w = DiskImageWriter.write(ctx, download, digest, compression, disk, received -> {
            if (digest != null) {
                expected.get().verify(digest, "IMG_CHECKSUM mismatch: " + url, "");
            }
        });
        String msg = String.format(Locale.ROOT, "wrote %,d bytes (%,d downloaded, %s, %d resumes) to %s in %.1f s (%.1f MiB/s)%s%s",
                w.bytes(), w.received(), compression.name().toLowerCase(Locale.ROOT), download.resumes(), disk, w.seconds(),
                w.mibPerSecond(), digest == null ? "" : ", " + expected.get().algorithm() + " verified", w.partitionTable());
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
}
