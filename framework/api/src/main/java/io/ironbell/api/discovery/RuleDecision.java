package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.ironbell.api.hardware.Hardware;
import java.util.List;

/**
 * What a rule decides for a machine, or would (a dry run).
 *
 * @param reasons  why it does not match, one line per condition that fails; empty when it matches
 * @param hardware the record as enrolling makes it, when it matches
 * @param workflow the workflow enrolling made (empty in a dry run)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RuleDecision(String rule, String hardwareId, boolean matches, List<String> reasons, Hardware hardware, String template,
        String workflow) {
}
