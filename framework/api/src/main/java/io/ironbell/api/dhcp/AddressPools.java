package io.ironbell.api.dhcp;

import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
     *
     * @return the offer; empty when the pool has no free address
     */
    Optional<PoolLease> offer(String pool, MacAddress mac, String requested, Set<String> excluded) throws StoreException;

    /**
     * Binds the address to the MAC for the pool's lease time, when it is offered or bound to that
     * MAC, or free; empty when another MAC holds it (the client gets a NAK).
     */
    Optional<PoolLease> bind(String pool, MacAddress mac, String address) throws StoreException;

    /** Gives the MAC's address back (RELEASE); nothing happens when it is not that MAC's. */
    void release(String pool, MacAddress mac, String address) throws StoreException;

    /** Takes an address out for {@code probation} (DECLINE: in use by something else); only the MAC that holds it can. */
    void decline(String pool, MacAddress mac, String address, Duration probation) throws StoreException;

    /** Who holds an address of any pool now (an offer or a binding that has not run out). */
    Optional<PoolLease> holder(String address) throws StoreException;

    /** The pool's leases, by address. */
    List<PoolLease> leases(String pool) throws StoreException;
}
