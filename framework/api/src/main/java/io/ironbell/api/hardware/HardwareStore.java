package io.ironbell.api.hardware;

import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps hardware records. Writes go to the database before they are acknowledged; reads by
 * key are better made through {@link HardwareLookup}, which answers from memory.
 */
@ProviderType
public interface HardwareStore {

    /**
     * Creates the record, or replaces the one with the same id.
     *
     * @return the stored record (with a generated id when it had none)
     * @throws StoreException {@code CONFLICT} naming the MAC or IP that another record already
     *                        has, {@code INVALID} naming the malformed field, {@code UNAVAILABLE}
     */
    Hardware push(Hardware hardware) throws StoreException;

    /** Returns the record, or fails with {@code NOT_FOUND}. */
    Hardware get(String id) throws StoreException;

    /** Lists records ordered by id. */
    Page<Hardware> list(PageRequest page) throws StoreException;

    /** Deletes the record, or fails with {@code NOT_FOUND}. */
    void delete(String id) throws StoreException;
}
