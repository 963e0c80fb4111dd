package io.ironbell.api.discovery;

import io.ironbell.api.store.StoreException;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Inventories with their history, discovered machines, enrollment rules and discovery events, in the shared database. */
@ProviderType
public interface DiscoveryStore {

    /**
     * Stores a machine's report: its inventory now, and a history entry when it differs from the last.
     *
     * @return the stored inventory; {@code changedAt} equals {@code collectedAt} when it changed
     */
    MachineInventory putInventory(String hardwareId, Inventory inventory) throws StoreException;

    Optional<MachineInventory> inventory(String hardwareId) throws StoreException;

    /** Every inventory the machine reported that differed from the one before, newest first. */
    List<InventoryChange> history(String hardwareId) throws StoreException;

    /** Notes a discovered machine; nothing when it is noted already. */
    DiscoveredMachine noteDiscovered(String hardwareId, String mac) throws StoreException;

    Optional<DiscoveredMachine> discovered(String hardwareId) throws StoreException;

    /** Every discovered machine, in the state given (or all when {@code null}), oldest first. */
    List<DiscoveredMachine> discoveredMachines(DiscoveredMachine.State state) throws StoreException;

    /**
     * Counts one enrollment against the rule and marks the machine enrolled by it, in one
     * transaction: false when the rule has enrolled {@code maxCount} machines already, or the
     * machine is enrolled already (another instance was quicker).
     *
     * @return the rule's count, this enrollment included; empty when it may not enroll this machine
     */
    Optional<Integer> claimEnrollment(String rule, String hardwareId) throws StoreException;

    /** Creates or replaces a rule (its count stays); {@code INVALID} naming the field. */
    EnrollmentRule putRule(EnrollmentRule rule) throws StoreException;

    /** The rules by priority, then name. */
    List<EnrollmentRule> rules() throws StoreException;

    Optional<EnrollmentRule> rule(String name) throws StoreException;

    /** {@code NOT_FOUND} when there is none. */
    void deleteRule(String name) throws StoreException;

    void addEvent(String hardwareId, String kind, String rule, String message) throws StoreException;

    /** Events, newest first; of one machine when {@code hardwareId} is given. */
    List<DiscoveryEvent> events(String hardwareId, int limit) throws StoreException;
}
