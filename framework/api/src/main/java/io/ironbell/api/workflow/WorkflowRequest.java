package io.ironbell.api.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What a workflow is made from, as Tinkerbell's Workflow spec says it.
 *
 * @param id          the workflow's identifier, or {@code null} for a generated one (an applied
 *                    Workflow's is its name)
 * @param template    the template's id or name
 * @param hardwareMap the template's keys ({@code device_1}) and their values: with no {@code hardwareRef}, each
 *                    must be a known MAC address, IP address or hardware id; with one, they are plain
 *                    template data, as in Tinkerbell
 * @param hardwareRef Tinkerbell's {@code spec.hardwareRef}: the hardware the template sees as
 *                    {@code .Hardware}, or empty for none (an empty record); {@code null} for Ironbell's own
 *                    rule, the hardware map's first entry's record
 * @param bootOptions Tinkerbell's {@code bootOptions}, kept and shown, or {@code null}
 */
public record WorkflowRequest(String id, String template, Map<String, String> hardwareMap, String hardwareRef, JsonNode bootOptions) {

    public WorkflowRequest {
        hardwareMap = hardwareMap == null ? Map.of() : Map.copyOf(hardwareMap);
    }
}
