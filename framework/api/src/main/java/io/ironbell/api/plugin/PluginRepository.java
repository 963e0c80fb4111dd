package io.ironbell.api.plugin;

import io.ironbell.api.store.StoreException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Action plugins kept by the server and delivered to workers at run time: an operator pushes a
 * vendor's bundle, a workflow created afterwards pins the version that claims each of its images,
 * and the machine's worker downloads exactly that bundle (by digest) when no plugin it has claims
 * the image. A name and version are immutable: the same version with other bytes is refused.
 */
@ProviderType
public interface PluginRepository {

    /**
     * A plugin bundle as the repository knows it.
     *
     * @param symbolicName its {@code Bundle-SymbolicName}
     * @param version      its {@code Bundle-Version}
     * @param digest       {@code sha256:} and the hex SHA-256 of the jar
     * @param size         the jar's bytes
     * @param types        the action types its components register ({@code ironbell.action.type})
     * @param images       the image prefixes they claim ({@code ironbell.action.images})
     * @param pushedAt     when it was pushed
     * @param pushedBy     who pushed it (a token's name)
     * @param signedBy     the fingerprint ({@code sha256:} of the public key's encoding) of the trusted key whose
     *                     detached signature it carried, or {@code null} when no trusted keys are configured
     * @param machines     the machines (as the workflows' hardware maps name them) of the workflows that pinned it;
     *                     filled by {@link #list()}, empty elsewhere
     */
    record Plugin(String symbolicName, String version, String digest, long size, List<String> types, List<String> images,
                  Instant pushedAt, String pushedBy, String signedBy, List<String> machines) {

        public Plugin {
            machines = machines == null ? List.of() : List.copyOf(machines);
        }
    }

    /**
     * What a push did.
     *
     * @param plugin  the plugin as stored
     * @param created false when the same bytes had been pushed before (nothing changed)
     */
    record Pushed(Plugin plugin, boolean created) {
    }

    /**
     * Stores a plugin bundle, read from its manifest and its components' descriptions.
     *
     * @param signature a detached signature of the jar's bytes by a trusted key, or {@code null};
     *                  required when trusted keys are configured
     * @throws StoreException INVALID for what is not a bundle, claims no action type, or lacks a
     *                        signature by a trusted key that trusted keys require; CONFLICT for a
     *                        name and version pushed before with other bytes
     */
    Pushed push(byte[] jar, byte[] signature, String pushedBy) throws StoreException;

    /** Every plugin, by name then newest first, with the machines whose workflows pinned it. */
    List<Plugin> list() throws StoreException;

    /** The plugin pushed last among those that claim this image (longest prefix first, then the type name), if any. */
    Optional<Plugin> forImage(String image) throws StoreException;

    /** The plugin with this digest, if the repository holds it. */
    Optional<Plugin> byDigest(String digest) throws StoreException;

    /** The jar with this digest, if the repository holds it. */
    Optional<byte[]> content(String digest) throws StoreException;

    /**
     * The public keys (PEM) a plugin's detached signature must be made by, empty when the operator
     * configured none; workers check plugins published as OCI artifacts against the same keys.
     */
    List<String> trustedKeys() throws StoreException;

    /**
     * Removes a version; workflows that pinned it find it gone when their action runs.
     *
     * @throws StoreException NOT_FOUND when there is none
     */
    Plugin delete(String symbolicName, String version) throws StoreException;
}
