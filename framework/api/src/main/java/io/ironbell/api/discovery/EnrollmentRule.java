package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * An operator's rule that enrolls discovered machines, as Tinkerbell's WorkflowRuleSet and
 * Foreman's discovery rules do: the first enabled rule by {@code priority} (lower first, then
 * name) whose {@code match} holds for a machine's inventory enrolls it with {@code then}.
 *
 * @param maxCount how many machines it may enroll; 0: no limit
 * @param used     how many it has enrolled
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record EnrollmentRule(String name, int priority, Boolean enabled, Match match, Then then, int maxCount, int used) {

    public EnrollmentRule {
        enabled = enabled == null ? Boolean.TRUE : enabled;
        match = match == null ? new Match(null, null, null, null, null, null, null, null, null, null) : match;
        then = then == null ? new Then(null, null, null, null, null) : then;
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
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Match(String vendor, String product, Integer minCpus, Integer maxCpus, String minMemory, String maxMemory, DiskMatch disk,
            List<String> macPrefixes, String subnet, Map<String, String> labels) {
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
     * @param template a workflow from this template is created, with the machine as {@code device_1}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Then(String hostname, Map<String, String> labels, JsonNode metadata, String template, Boolean powerCycle) {
    }
}
