package io.ironbell.api.store;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hears of every change to stored records, made by this server instance or any other on the
 * same database (the store relays PostgreSQL notifications). Register it as an OSGi service.
 * Called on the store's notification thread: return quickly.
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
}
