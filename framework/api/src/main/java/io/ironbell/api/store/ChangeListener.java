package io.ironbell.api.store;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hears of every change to stored records, made by this server instance or any other on the
 * same database (the store relays PostgreSQL notifications). Register it as an OSGi service.
 * Called on the store's notification thread: return quickly.
 *
 * <p>Notifications can be missed: while the database is away, and when a restore replaces every
 * record. The store then calls {@link #resync()}, and a listener that keeps anything in memory
 * reloads it there.
 */
@ConsumerType
public interface ChangeListener {

    /**
     * A record changed.
     *
     * @param kind what kind of record: {@code hardware} or {@code workflow}
     * @param id   its id
     */
    void changed(String kind, String id);

    /**
     * Notifications may have been missed (the store reconnected to the database, or a restore
     * replaced its content): whatever the listener derived from earlier notifications may be
     * stale, and it reloads it. Called on the store's thread: hand long work to a thread of your own.
     * Does nothing by default, for listeners that keep nothing.
     */
    default void resync() {
    }
}
