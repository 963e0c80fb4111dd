package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * An operator's rule that enrolls discovered machines, as Tinkerbell's WorkflowRuleSet and
 * Foreman's discovery rules do: among the enabled rules whose {@code match} holds for a machine,
 * those of the lowest {@code priority} compete, the one with the most matching {@code patterns}
 * wins (Tinkerbell's choice among WorkflowRuleSets), then the first by name; it enrolls the
 * machine with {@code then}.
 *
 * @param maxCount how many machines it may enroll; 0: no limit
 * @param used     how many it has enrolled
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record EnrollmentRule(String name, int priority, Boolean enabled, Match match, Then then, int maxCount, int used) {

    public EnrollmentRule {
        enabled = enabled == null ? Boolean.TRUE : enabled;
        match = match == null ? new Match(null, null, null, null, null, null, null, null, null, null, null) : match;
        then = then == null ? new Then(null, null, null, null, null, null, null, null) : then;
    }

    /**
     * What a machine must be; every field given must hold, an absent one always does. Texts
     * compare without case, with {@code *} as a wildcard; sizes are bytes or a number with a unit
     * ({@code 512MiB}, {@code 16GiB}, {@code 2TB}).
     *
     * @param macPrefixes the MAC of the interface it netbooted from starts with one of these ({@code 52:54:00})
     * @param subnet      its address is in this CIDR block
     * @param disk        at least {@code count} disks hold (default 1)
     * @param labels      the record's labels include these
     * @param patterns    Quamina patterns (Tinkerbell's WorkflowRuleSet {@code rules}) over the machine's attributes as
     *                    Tinkerbell's agent reports them ({@code {"product": {"vendor": ["QEMU"]}}}); at least one must match
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Match(String vendor, String product, Integer minCpus, Integer maxCpus, String minMemory, String maxMemory, DiskMatch disk,
            List<String> macPrefixes, String subnet, Map<String, String> labels, List<String> patterns) {
    }

    /** Disks of a size, spinning or not, how many. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record DiskMatch(String minSize, String maxSize, Boolean rotational, Integer count) {
    }

    /**
     * What enrolling does.
     *
     * @param hostname a pattern: {@code {mac}} (hex digits only), {@code {serial}}, {@code {vendor}}, {@code {product}},
     *                 {@code {n}} (how many this rule enrolled, this one included), {@code {n:03}} zero-padded
     * @param labels   set on the record
     * @param metadata merged into the record's metadata (Tinkerbell's metadata: {@code instance}, {@code facility}, ...)
     * @param template   a workflow from this template is created, with the machine's MAC as {@code agentValue}
     * @param agentValue the hardware-map key the MAC goes under (Tinkerbell's {@code template.agentValue}); {@code device_1} by default
     * @param values     more hardware-map entries for the workflow (Tinkerbell's {@code template.kvs})
     * @param address    the address the machine gets instead of the pool lease it netbooted with; absent: it keeps that one
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Then(String hostname, Map<String, String> labels, JsonNode metadata, String template, Boolean powerCycle, String agentValue,
            Map<String, String> values, Address address) {
    }

    /**
     * Where an enrolled machine's address comes from: a free address of another pool (the
     * production network's, say), or a static map from the machine's serial number or MAC to its
     * address. The machine takes it when it next asks DHCP: at once when the in-memory OS's report
     * enrolled it (its worker renews its lease), else at its next boot (at once with {@code powerCycle}).
     *
     * @param pool     a pool's name: the machine's address is one of its free ones, with its mask, router and DNS
     * @param fixed    serial number or MAC to address ({@code static} in JSON); a machine in neither does not match the rule
     * @param netmask  for a static address; absent: the mask it has
     * @param gateway  for a static address; absent: the gateway it has
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Address(String pool, @com.fasterxml.jackson.annotation.JsonProperty("static") Map<String, String> fixed, String netmask,
            String gateway) {
    }
}
