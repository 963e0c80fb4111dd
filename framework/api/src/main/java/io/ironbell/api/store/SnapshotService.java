package io.ironbell.api.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A consistent copy of all stored state, and its way back into an empty database: what
 * {@code ironbell backup} and {@code ironbell restore} ask of the store. The store owns the
 * format; callers only move its bytes.
 */
@ProviderType
public interface SnapshotService {

    /**
     * Writes one instant's state of every table to {@code out} (which stays open).
     *
     * @return rows per table
     * @throws StoreException UNAVAILABLE when the database cannot be reached
     * @throws IOException    when {@code out} fails
     */
    Map<String, Long> backup(OutputStream out) throws StoreException, IOException;

    /**
     * Loads a backup into a database that holds no Ironbell data, in one transaction, and tells
     * every {@link ChangeListener} to resync.
     *
     * @return rows per table
     * @throws StoreException CONFLICT when the database is not empty, INVALID when the input is
     *                        no complete Ironbell backup (nothing is loaded then), UNAVAILABLE
     *                        when the database cannot be reached
     * @throws IOException    when {@code in} fails
     */
    Map<String, Long> restore(InputStream in) throws StoreException, IOException;
}
