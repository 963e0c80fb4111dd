package io.ironbell.api.hardware;

import io.ironbell.api.store.StoreException;
import java.util.Collection;
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

    /**
     * Stores several leases at once (one transaction where the store has them), each replacing
     * the previous one of its MAC address: what a busy DHCP server uses, since a commit per
     * exchange would cap it at the disk's flush rate.
     */
    default void recordAll(Collection<Lease> leases) throws StoreException {
        for (Lease l : leases) {
            record(l);
        }
    }

    /** Returns the lease of a MAC address. */
    Optional<Lease> get(MacAddress mac) throws StoreException;
}
