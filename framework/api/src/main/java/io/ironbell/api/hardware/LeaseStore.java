package io.ironbell.api.hardware;

import io.ironbell.api.store.StoreException;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps the last DHCP exchange of each MAC address. The DHCP server calls {@link #record}
 * off its reply path; a lost record costs a "last seen" time, never a reply.
 */
@ProviderType
public interface LeaseStore {

    /** Stores the lease, replacing the previous one of its MAC address. */
    void record(Lease lease) throws StoreException;

    /** Returns the lease of a MAC address. */
    Optional<Lease> get(MacAddress mac) throws StoreException;
}
