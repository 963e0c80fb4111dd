package io.ironbell.api.store;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Makes several writes to several stores one unit: every store call made by {@code work} on
 * the calling thread joins one database transaction, committed when {@code work} returns and
 * rolled back, with every in-memory effect, when it throws. Calls nest: an inner unit that
 * fails is rolled back to where it began and its exception goes on to the outer one.
 */
@ProviderType
public interface Transactions {

    /** What runs in one transaction. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E, StoreException;
    }

    /** Runs {@code work} as one transaction and returns its result. */
    <T, E extends Exception> T atomically(Work<T, E> work) throws E, StoreException;
}
