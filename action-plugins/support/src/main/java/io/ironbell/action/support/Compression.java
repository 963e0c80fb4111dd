package io.ironbell.action.support;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.ironbell.api.action.ActionException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.XZInputStream;

/** How an image or archive is compressed: named by a setting, or by its name's suffix. */
public enum Compression {
    NONE, GZIP, XZ, ZSTD, BZIP2;

    /** The size of the buffers that disk actions read and write with. */
    public static final int BUFFER = 1 << 20;

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
     */
    public InputStream open(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, BUFFER);
            case XZ -> new XZInputStream(new BufferedInputStream(in, BUFFER));
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
            case BZIP2 -> new BZip2CompressorInputStream(new BufferedInputStream(in, BUFFER), true);
        };
    }
}
