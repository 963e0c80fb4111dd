package io.ironbell.api.discovery;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import java.net.InetAddress;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Discovery and enrollment: a machine no record names gets one when it netboots, reports its
 * inventory from the in-memory OS, and the first rule that matches enrolls it.
 */
@ProviderType
public interface DiscoveryService {

    /**
     * Whether machines no record names may netboot to be discovered ({@code discovery.enabled}):
     * the DHCP server sends them to iPXE, the iPXE route enlists them.
     */
    boolean enabled();

    /**
     * The record of a machine that netboots unknown, made now (state DISCOVERED) or found: id
     * {@code discovered-} and its MAC's hex digits, the interface's address the one it asked from
     * (its pool lease becomes its reservation), allowed to netboot and to run workflows. A record
     * found that names the MAC without an address takes the address too when it is the MAC's pool
     * lease (whether discovery is on or not).
     */
    Hardware enlist(MacAddress mac, InetAddress address) throws StoreException;

    /**
     * Whether the machine waits to be enrolled (DISCOVERED): it boots the in-memory OS, reports,
     * and waits there for a rule or the operator.
     */
    boolean waiting(String hardwareId) throws StoreException;

    /**
     * A machine's report from its in-memory OS: stored with its history; a machine still
     * DISCOVERED is then offered to the rules.
     *
     * @return what the rules decided for it, or {@code null} when it is not waiting for one
     */
    RuleDecision report(String hardwareId, Inventory inventory) throws StoreException;

    /**
     * Checks and stores a rule: sizes, the subnet and the hostname pattern must read; {@code INVALID}
     * naming the field otherwise.
     */
    EnrollmentRule putRule(EnrollmentRule rule) throws StoreException;

    /**
     * The inventory as Tinkerbell's agent reports its attributes (its {@code AgentAttributes}: {@code
     * cpu}, {@code memory}, {@code blockDevices}, {@code networkInterfaces}, ...): the document the
     * Quamina patterns of a rule ({@link EnrollmentRule.Match#patterns()}) are matched against.
     */
    com.fasterxml.jackson.databind.JsonNode attributes(Inventory inventory);

    /** The rule of this name. */
    java.util.Optional<EnrollmentRule> rule(String name) throws StoreException;

    /** What the rule would do with the machine, changing nothing (a dry run). */
    RuleDecision test(String rule, String hardwareId) throws StoreException;

    /** Offers a DISCOVERED machine to the rules now (after a rule was added, say). */
    RuleDecision enroll(String hardwareId) throws StoreException;
}
