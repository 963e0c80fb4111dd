package io.ironbell.api.dhcp;

import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Pools and their leases in the database every server instance shares. The database's primary key
 * on (pool, address) is what keeps an address from being bound to two MACs, whichever instances
 * answer; every time is the database's, for instances' clocks differ.
 */
@ProviderType
public interface AddressPools {

    /** Creates or replaces a pool; {@code INVALID} naming the field when its addresses are not in its subnet. */
    AddressPool putPool(AddressPool pool) throws StoreException;

    List<AddressPool> pools() throws StoreException;

    /** Deletes a pool and its leases; {@code NOT_FOUND} when there is none. */
    void deletePool(String name) throws StoreException;

    /**
     * Holds an address of the pool for the MAC, for the pool's offer time: the MAC's current or
     * last address when it is free, else {@code requested} when it is free and in the pool, else
     * another free one. Addresses in {@code excluded} (reservations, gateways) are never chosen.
     * An offer may be lost if the database stops at once after it (the client's REQUEST binds the
     * address anyway); bindings, releases and declines never are.
     *
     * <p>The four lease changes do not block: a server answering a herd shares one transaction
     * among many clients' exchanges. Their stages complete on the store's own thread, failed with a
     * {@link StoreException} when the database is away; a caller hands long work on to a thread of
     * its own, and one that must wait uses {@link #await}.
     *
     * @return the offer; empty when the pool has no free address
     */
    CompletionStage<Optional<PoolLease>> offer(String pool, MacAddress mac, String requested, Set<String> excluded);

    /**
     * Binds the address to the MAC for the pool's lease time, when it is offered or bound to that
     * MAC, or free; empty when another MAC holds it (the client gets a NAK).
     */
    CompletionStage<Optional<PoolLease>> bind(String pool, MacAddress mac, String address);

    /** Gives the MAC's address back (RELEASE); nothing happens when it is not that MAC's. */
    CompletionStage<Void> release(String pool, MacAddress mac, String address);

    /** Takes an address out for {@code probation} (DECLINE: in use by something else); only the MAC that holds it can. */
    CompletionStage<Void> decline(String pool, MacAddress mac, String address, Duration probation);

    /**
     * Waits for a lease change, for callers that may block.
     *
     * @throws StoreException the change's own failure
     */
    static <T> T await(CompletionStage<T> change) throws StoreException {
        try {
            return change.toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException s) {
                throw s;
            }
            throw e;
        }
    }

    /** Who holds an address of any pool now (an offer or a binding that has not run out). */
    Optional<PoolLease> holder(String address) throws StoreException;

    /** The pool's leases, by address. */
    List<PoolLease> leases(String pool) throws StoreException;
}
