package io.ironbell.api.auth;

import io.ironbell.api.store.StoreException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The record of every change, kept for a retention period and readable by admins. */
@ProviderType
public interface AuditLog {

    /** Records a change ({@link AuditEntry#sequence()} and {@link AuditEntry#at()} are assigned). */
    void record(AuditEntry entry) throws StoreException;

    /** Entries after {@code afterSequence}, oldest first, at most {@code limit}. */
    List<AuditEntry> after(long afterSequence, int limit) throws StoreException;
}
