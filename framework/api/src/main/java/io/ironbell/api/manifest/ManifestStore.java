package io.ironbell.api.manifest;

import io.ironbell.api.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps applied objects by kind and name, and Secrets' values encrypted with a key that is not in
 * the database. A Hardware object is dropped when its hardware record is deleted or replaced by
 * other means than {@code apply}: from then on the record is what counts.
 */
@ProviderType
public interface ManifestStore {

    /** Returns the object of this kind and name. */
    Optional<Manifest> find(String kind, String name) throws StoreException;

    /** Lists the objects of a kind, ordered by name. */
    List<Manifest> list(String kind) throws StoreException;

    /**
     * Creates or replaces the object of its kind and name.
     *
     * @return the object stored, its generation one more when its content changed
     */
    Manifest put(String kind, String name, String namespace, com.fasterxml.jackson.databind.node.ObjectNode object) throws StoreException;

    /** Deletes the object; {@code NOT_FOUND} when there is none. */
    void delete(String kind, String name) throws StoreException;

    /** Stores a Secret's values (key to bytes), encrypted, replacing the ones it had. */
    void putSecret(String name, Map<String, byte[]> values) throws StoreException;

    /** Returns a Secret's values, decrypted; {@code NOT_FOUND} when it has none. */
    Map<String, byte[]> secret(String name) throws StoreException;
}
