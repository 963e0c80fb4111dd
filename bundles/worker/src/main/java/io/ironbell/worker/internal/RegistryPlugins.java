package io.ironbell.worker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.plugin.PluginArtifact;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.client.oci.OciException;
import io.ironbell.client.oci.OciReference;
import io.ironbell.client.oci.OciRegistry;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Action plugins published as OCI artifacts: an action's image whose manifest says
 * {@value PluginArtifact#ARTIFACT_TYPE} is pulled from its registry (with the action's
 * {@code REGISTRY_USERNAME}/{@code REGISTRY_PASSWORD}, as container images are), its jar checked
 * against the manifest's digest and, when the server has trusted keys, its detached signature
 * against them. The first action of a workflow resolves the tag; the workflow's later actions
 * with the same image use the manifest digest it resolved to, so a tag moved mid-rollout does not
 * change a running workflow (a reference by digest pins it for every workflow).
 */
final class RegistryPlugins {

    /** The largest plugin jar (and signature) pulled into memory. */
    static final long MAX_JAR_BYTES = 64L << 20;
    static final long MAX_SIGNATURE_BYTES = 64L << 10;

    /** A plugin pulled from a registry: its jar, its manifest, and who signed it (null when no keys are trusted). */
    record Pulled(byte[] jar, String jarDigest, OciReference from, String manifestDigest, String signedBy) {
    }

    /** A plugin artifact that cannot be used: its reason says why (unsigned, altered, unreadable). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** Where the server's trusted keys come from (the worker's session). */
    interface Keys {
        List<String> pem() throws Exception;
    }

    private final Set<String> insecure;
    private final Keys keys;
    /** How long an image known not to be a plugin (or whose registry could not say) is not asked again. */
    static final long NOT_A_PLUGIN_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);

    /** workflow id + image → the manifest digest its first action resolved. */
    private final Map<String, String> resolved = new ConcurrentHashMap<>();
    /**
     * image → until when it is taken for a container image without asking (and, when its registry
     * could not be reached, the reason, given again): a registry that drops packets would otherwise
     * cost every container action the connect timeout.
     */
    private final Map<String, NotAPlugin> notPlugins = new ConcurrentHashMap<>();

    private record NotAPlugin(long until, OciException unreachable) {
    }

    RegistryPlugins(Set<String> insecureRegistries, Keys keys) {
        this.insecure = Set.copyOf(insecureRegistries);
        this.keys = keys;
    }

    /**
     * The plugin the action's image is, or empty when the image is not an OCI reference or its
     * manifest is not a plugin's (a container image, say).
     *
     * @throws OciException when the registry cannot be asked whether the image is a plugin
     * @throws Refused      when it is one that cannot be used
     */
    Optional<Pulled> pull(WorkerAction a) throws OciException, Refused, InterruptedException {
        OciReference ref;
        try {
            ref = OciReference.parse(a.image()).plainHttpIf(insecure);
        } catch (OciException e) {
            return Optional.empty();
        }
        NotAPlugin known = notPlugins.get(a.image());
        if (known != null && known.until() - System.nanoTime() > 0) {
            if (known.unreachable() != null) {
                throw new OciException(known.unreachable().kind(), known.unreachable().getMessage() + " (a recent attempt; asked again after "
                        + java.util.concurrent.TimeUnit.NANOSECONDS.toMinutes(NOT_A_PLUGIN_NANOS) + " minutes)");
            }
            return Optional.empty();
        }
        Map<String, String> env = a.environment() == null ? Map.of() : a.environment();
        OciRegistry registry = new OciRegistry(ref, Optional.ofNullable(env.get("REGISTRY_USERNAME")),
                Optional.ofNullable(env.get("REGISTRY_PASSWORD")), false);
        String key = a.workflowId() + " " + a.image();
        OciRegistry.Manifest m;
        try {
            m = registry.manifest(resolved.getOrDefault(key, ref.reference()));
        } catch (OciException e) {
            if (e.kind() == OciException.Kind.UNAVAILABLE) {
                notPlugins.put(a.image(), new NotAPlugin(System.nanoTime() + NOT_A_PLUGIN_NANOS, e));
            }
            throw e;
        }
        JsonNode body = m.body();
        boolean plugin = PluginArtifact.ARTIFACT_TYPE.equals(body.path("artifactType").asText())
                || PluginArtifact.ARTIFACT_TYPE.equals(body.path("config").path("mediaType").asText());
        if (!plugin) {
            notPlugins.put(a.image(), new NotAPlugin(System.nanoTime() + NOT_A_PLUGIN_NANOS, null));
            return Optional.empty();
        }
        resolved.putIfAbsent(key, m.digest());
        try {
            return Optional.of(plugin(registry, ref, m));
        } catch (OciException e) {
            throw new Refused(e.getMessage());
        }
    }

    private Pulled plugin(OciRegistry registry, OciReference ref, OciRegistry.Manifest m) throws OciException, InterruptedException {
        JsonNode body = m.body();
        JsonNode jarLayer = null;
        JsonNode sigLayer = null;
        for (JsonNode l : body.path("layers")) {
            String type = l.path("mediaType").asText();
            if (type.equals(PluginArtifact.BUNDLE_LAYER)) {
                if (jarLayer != null) {
                    throw new OciException(OciException.Kind.UNSUPPORTED, ref + " carries more than one bundle layer");
                }
                jarLayer = l;
            } else if (type.equals(PluginArtifact.SIGNATURE_LAYER)) {
                sigLayer = l;
            }
        }
        if (jarLayer == null) {
            throw new OciException(OciException.Kind.UNSUPPORTED, ref + " is an Ironbell plugin artifact without a layer of type "
                    + PluginArtifact.BUNDLE_LAYER);
        }
        String jarDigest = jarLayer.path("digest").asText();
        byte[] jar = registry.blobBytes(jarDigest, MAX_JAR_BYTES);
        List<PublicKey> trusted = trusted();
        String signedBy = null;
        if (!trusted.isEmpty()) {
            if (sigLayer == null) {
                throw new OciException(OciException.Kind.UNSUPPORTED, "the plugin " + ref + "@" + m.digest() + " is not signed, and the server "
                        + "takes signed plugins only (storage.plugins.trustedKeys): refused");
            }
            byte[] sig = registry.blobBytes(sigLayer.path("digest").asText(), MAX_SIGNATURE_BYTES);
            signedBy = PluginArtifact.signer(jar, sig, trusted).orElseThrow(() -> new OciException(OciException.Kind.DIGEST_MISMATCH,
                    "the plugin " + ref + "@" + m.digest() + " is not signed by a trusted key (" + trusted.size()
                    + " in storage.plugins.trustedKeys): signed by another key, or the jar changed after it was signed; refused"));
        }
        return new Pulled(jar, jarDigest, ref, m.digest(), signedBy);
    }

    private List<PublicKey> trusted() throws OciException {
        List<PublicKey> out = new ArrayList<>();
        try {
            for (String pem : keys.pem()) {
                out.addAll(PluginArtifact.publicKeys(pem));
            }
        } catch (GeneralSecurityException e) {
            throw new OciException(OciException.Kind.UNSUPPORTED, "the server's trusted keys cannot be read: " + e.getMessage());
        } catch (Exception e) {
            // no keys known is no reason to run an unsigned plugin: the action fails, the next may find the server
            throw new OciException(OciException.Kind.UNAVAILABLE, "cannot ask the server which keys must have signed a plugin: " + e.getMessage());
        }
        return out;
    }
}
