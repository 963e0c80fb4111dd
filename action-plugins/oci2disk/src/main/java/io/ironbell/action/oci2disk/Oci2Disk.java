package io.ironbell.action.oci2disk;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.ironbell.client.oci.OciException;
import io.ironbell.client.oci.OciReference;
import io.ironbell.client.oci.OciRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's oci2disk, natively: {@code IMG_URL} names a disk image stored as an OCI artifact
 * ({@code registry/repo:tag} or {@code @sha256:...}); its manifest is pulled over the OCI
 * distribution API (an index resolves to linux/amd64), anonymously or with
 * {@code REGISTRY_USERNAME}/{@code REGISTRY_PASSWORD} (basic, or the token flow the registry
 * asks for); the layer is the one titled {@code org.opencontainers.image.title} (or the only
 * one, or {@code LAYER_TITLE}'s); it is streamed to {@code DEST_DISK} like image2disk streams,
 * decompressed by {@code COMPRESSION}, its media type or its title's suffix, and its digest and
 * size are verified over the bytes downloaded; a layer that does not match them, or was written
 * only in part, is made unbootable before the action fails (the first and last MiB of the disk
 * zeroed, {@link DiskImageWriter}). {@code SKIP_VERIFY=true} skips TLS verification;
 * {@code http://} in IMG_URL talks plain HTTP.
 */
@Component(service = ActionPlugin.class)
@ActionType("oci2disk")
@ActionImages({"quay.io/tinkerbell-actions/oci2disk", "quay.io/tinkerbell/actions/oci2disk"})
public final class Oci2Disk implements ActionPlugin {

    static final String TITLE = "org.opencontainers.image.title";
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        try {
            return pull(ctx);
        } catch (OciException e) {
            throw new ActionException(switch (e.kind()) {
                case INVALID -> Reason.INVALID_INPUT;
                case DIGEST_MISMATCH -> Reason.CHECKSUM_MISMATCH;
                case UNSUPPORTED -> Reason.UNSUPPORTED;
                case NOT_FOUND, UNAUTHORIZED, UNAVAILABLE -> Reason.SOURCE_UNAVAILABLE;
            }, (e.kind() == OciException.Kind.INVALID ? "IMG_URL: " : "") + e.getMessage());
        }
    }

    private ActionResult pull(ActionContext ctx) throws ActionException, OciException, InterruptedException {
        OciReference ref = OciReference.parse(ctx.requireEnv("IMG_URL"));
        Path disk = Path.of(ctx.requireEnv("DEST_DISK"));
        boolean skipVerify = ctx.env("SKIP_VERIFY").orElse("false").equalsIgnoreCase("true");
        if (!disk.toFile().exists()) {
            throw new ActionException(Reason.TARGET_FAILED, "DEST_DISK " + disk + " does not exist");
        }
        if (skipVerify) {
            ctx.log("warning: TLS certificates of " + ref.host() + " are not verified (SKIP_VERIFY=true)");
        }
        OciRegistry registry = new OciRegistry(ref, ctx.env("REGISTRY_USERNAME"), ctx.env("REGISTRY_PASSWORD"), skipVerify);
        OciRegistry.Manifest manifest = registry.manifest(ref.reference());
        if (manifest.body().has("manifests")) {
            String chosen = platform(manifest.body(), ref);
            manifest = registry.manifest(chosen);
        }
        JsonNode layer = layer(manifest.body(), ref, ctx.env("LAYER_TITLE"));
        String digest = layer.path("digest").asText();
        long size = layer.path("size").asLong(-1);
        String title = layer.path("annotations").path(TITLE).asText("");
        String mediaType = layer.path("mediaType").asText("");
        Checksum expected = Checksum.parse("the layer digest", Optional.of(digest)).orElseThrow();
        Compression compression = compression(ctx, mediaType, title);
        ctx.log("pulling " + ref.repository() + "@" + manifest.digest() + " layer " + digest + (title.isEmpty() ? "" : " (" + title + ")")
                + ", " + size + " bytes, " + compression.name().toLowerCase(Locale.ROOT));

        Map<String, String> headers = new HashMap<>();
        registry.authorization().ifPresent(a -> headers.put("Authorization", a));
        ResumableDownload download;
        try {
            download = new ResumableDownload(registry.blob(digest), READ_TIMEOUT, headers, ctx::log, registry.tlsSockets());
        } catch (ResumableDownload.SourceException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "blob " + digest + ": " + e.getMessage());
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot fetch blob " + digest + " from " + ref.host() + ": " + e.getMessage());
        }
        MessageDigest md = expected.digest();
        DiskImageWriter.Written w = DiskImageWriter.write(ctx, download, md, compression, disk, received -> {
            if (size >= 0 && received != size) {
                throw new ActionException(Reason.CHECKSUM_MISMATCH, "layer size mismatch: blob " + digest + " is " + received
                        + " bytes, its descriptor says " + size);
            }
            expected.verify(md, "layer digest mismatch: blob of " + ref.repository() + ":" + ref.reference(), "");
        });
        String msg = String.format(Locale.ROOT, "wrote %,d bytes of %s:%s (layer %s, %,d downloaded, %s, digest verified) to %s in %.1f s (%.1f MiB/s)%s",
                w.bytes(), ref.repository(), ref.reference(), title.isEmpty() ? digest.substring(0, 19) : title, w.received(),
                compression.name().toLowerCase(Locale.ROOT), disk, w.seconds(), w.mibPerSecond(), w.partitionTable());
        ctx.log(msg);
        return ActionResult.success(msg);
    }

    /** From an index: the linux/amd64 manifest, or the only one. */
    static String platform(JsonNode index, OciReference ref) throws ActionException {
        JsonNode list = index.path("manifests");
        if (list.size() == 1) {
            return list.get(0).path("digest").asText();
        }
        for (JsonNode m : list) {
            JsonNode p = m.path("platform");
            if (p.path("os").asText().equals("linux") && p.path("architecture").asText().equals("amd64")) {
                return m.path("digest").asText();
            }
        }
        throw new ActionException(Reason.UNSUPPORTED, ref.repository() + ":" + ref.reference() + " is an index of " + list.size()
                + " manifests and none is for linux/amd64");
    }

    /** The layer to write: LAYER_TITLE's, else the only titled one, else the only one. */
    static JsonNode layer(JsonNode manifest, OciReference ref, Optional<String> wanted) throws ActionException {
        JsonNode layers = manifest.path("layers");
        if (!layers.isArray() || layers.isEmpty()) {
            throw new ActionException(Reason.UNSUPPORTED, ref.repository() + ":" + ref.reference() + " has no layers");
        }
        List<JsonNode> titled = new ArrayList<>();
        for (JsonNode l : layers) {
            String t = l.path("annotations").path(TITLE).asText("");
            if (wanted.isPresent() && wanted.get().equals(t)) {
                return l;
            }
            if (!t.isEmpty()) {
                titled.add(l);
            }
        }
        List<String> titles = titled.stream().map(l -> l.path("annotations").path(TITLE).asText()).toList();
        if (wanted.isPresent()) {
            throw new ActionException(Reason.INVALID_INPUT, "no layer of " + ref.repository() + ":" + ref.reference() + " is titled '" + wanted.get()
                    + "' (titles: " + titles + ")");
        }
        if (titled.size() == 1) {
            return titled.get(0);
        }
        if (layers.size() == 1) {
            return layers.get(0);
        }
        throw new ActionException(Reason.UNSUPPORTED, ref.repository() + ":" + ref.reference() + " has " + layers.size() + " layers and "
                + (titled.isEmpty() ? "none is titled (" + TITLE + ")" : "several titled " + titles) + "; set LAYER_TITLE");
    }

    /** COMPRESSION wins; else the media type (+gzip, +zstd); else the title's suffix. */
    static Compression compression(ActionContext ctx, String mediaType, String title) throws ActionException {
        if (ctx.env("COMPRESSION").isPresent()) {
            return Compression.of(ctx.env("COMPRESSION"), Optional.empty(), title);
        }
        if (mediaType.endsWith("+gzip") || mediaType.endsWith(".gzip")) {
            return Compression.GZIP;
        }
        if (mediaType.endsWith("+zstd") || mediaType.endsWith(".zstd")) {
            return Compression.ZSTD;
        }
        return Compression.of(Optional.empty(), Optional.empty(), title);
    }
}
