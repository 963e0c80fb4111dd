package io.ironbell.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import io.ironbell.api.plugin.PluginArtifact;
import io.ironbell.client.oci.OciException;
import io.ironbell.client.oci.OciRegistry;
import java.nio.charset.StandardCharsets;

/**
 * Writes an action plugin to a registry as the OCI artifact {@link PluginArtifact} describes: the
 * empty config, the jar as a layer titled with its file name, the detached signature (if any) as a
 * second layer, and the manifest under the reference's tag.
 */
final class PluginPublisher {

    private static final byte[] EMPTY = "{}".getBytes(StandardCharsets.US_ASCII);

    private PluginPublisher() {
    }

    /** Publishes; returns the manifest's digest. */
    static String publish(OciRegistry registry, String fileName, byte[] jar, byte[] signature) throws OciException, InterruptedException {
        ObjectNode m = Json.mapper().createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", OciRegistry.OCI_MANIFEST);
        m.put("artifactType", PluginArtifact.ARTIFACT_TYPE);
        ObjectNode config = m.putObject("config");
        config.put("mediaType", PluginArtifact.EMPTY_CONFIG);
        config.put("digest", registry.pushBlob(EMPTY));
        config.put("size", EMPTY.length);
        ArrayNode layers = m.putArray("layers");
        ObjectNode layer = layers.addObject();
        layer.put("mediaType", PluginArtifact.BUNDLE_LAYER);
        layer.put("digest", registry.pushBlob(jar));
        layer.put("size", jar.length);
        layer.putObject("annotations").put("org.opencontainers.image.title", fileName);
        if (signature != null) {
            ObjectNode sig = layers.addObject();
            sig.put("mediaType", PluginArtifact.SIGNATURE_LAYER);
            sig.put("digest", registry.pushBlob(signature));
            sig.put("size", signature.length);
            sig.putObject("annotations").put("org.opencontainers.image.title", fileName + ".sig");
        }
        byte[] bytes = m.toString().getBytes(StandardCharsets.UTF_8);
        return registry.pushManifest(registry.reference().reference(), OciRegistry.OCI_MANIFEST, bytes);
    }
}
