package io.ironbell.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateException;
import io.ironbell.engine.internal.gotemplate.GoTemplateException;
import io.ironbell.engine.internal.gotemplate.TextTemplate;
import io.ironbell.engine.internal.gotemplate.TinkerbellFunctions;
import io.ironbell.engine.internal.template.TemplateParser;
import java.util.List;
import java.util.Map;

/**
 * Workflow templates rendered as Tinkerbell's controller renders them: Go's text/template named
 * {@code workflow-template}, {@code missingkey=error}, Sprig's hermetic functions and Tinkerbell's,
 * the output capped at 256 KiB, on {@link TemplateData}; then the YAML of the result is read.
 */
final class WorkflowTemplates {

    static final String NAME = "workflow-template";
    static final int MAX_RENDERED_BYTES = 256 * 1024;

    /** A machine for checking a template before any workflow uses it: what most templates expect to find. */
    private static final Hardware SAMPLE = sample();

    private WorkflowTemplates() {
    }

    private static Hardware sample() {
        try {
            return Json.mapper().readValue("""
                    {"id": "sample", "network": {"interfaces": [{
                      "dhcp": {"mac": "52:54:00:00:00:01", "hostname": "sample", "arch": "x86_64", "uefi": true, "lease_time": 86400,
                               "name_servers": ["192.0.2.1"], "ip": {"address": "192.0.2.10", "netmask": "255.255.255.0", "gateway": "192.0.2.1"}},
                      "netboot": {"allow_pxe": true, "allow_workflow": true}}]},
                     "metadata": {"instance": {"id": "sample", "hostname": "sample", "operating_system": {"distro": "ubuntu", "version": "22.04"},
                                  "storage": {"disks": [{"device": "/dev/sda"}]}, "userdata": "", "tags": []},
                                  "facility": {"facility_code": "sample"}}}
                    """, Hardware.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TemplateException refused(GoTemplateException e) {
        return new TemplateException(e.line(), null, e.getMessage());
    }

    /** Parses the template as Go would (syntax, functions, variables), refusing what Go refuses with its line. */
    static TextTemplate parse(String text) throws TemplateException {
        try {
            return TextTemplate.parse(NAME, text, TinkerbellFunctions.all(), TextTemplate.MissingKey.ERROR);
        } catch (GoTemplateException e) {
            throw refused(e);
        }
    }

    /** Renders the template for a workflow whose hardware is Tinkerbell's {@code hardware} object, and reads the result. */
    static Template render(String text, Map<String, String> hardwareMap, ObjectNode hardware) throws TemplateException {
        return render(text, hardwareMap, hardware, null);
    }

    /** As above, with the inventory the machine last reported ({@code .Hardware.Inventory}; null: none). */
    static Template render(String text, Map<String, String> hardwareMap, ObjectNode hardware, JsonNode inventory) throws TemplateException {
        TextTemplate t = parse(text);
        String rendered;
        try {
            rendered = t.execute(TemplateData.of(hardwareMap, hardware, inventory), MAX_RENDERED_BYTES);
        } catch (GoTemplateException e) {
            throw refused(e);
        }
        return TemplateParser.parse(rendered);
    }

    /**
     * Checks a template without a workflow: Go's parse, then a rendering for a sample machine
     * ({@code device_1}) whose YAML must be a valid workflow. A template that needs what the sample
     * lacks (a second disk, a key of its own in the hardware map) is checked no further than its
     * syntax: its name is read from its text.
     */
    static Template check(String text) throws TemplateException {
        TextTemplate t = parse(text);
        String rendered;
        try {
            rendered = t.execute(TemplateData.of(Map.of("device_1", "52:54:00:00:00:01"), SAMPLE), MAX_RENDERED_BYTES);
        } catch (GoTemplateException dependsOnData) {
            java.util.regex.Matcher name = java.util.regex.Pattern.compile("(?m)^name:[ \\t]*[\"']?([^\"'\\s#]+)").matcher(text);
            return new Template(Template.VERSION, name.find() ? name.group(1) : null, null, List.of(), Map.of());
        }
        return TemplateParser.parse(rendered);
    }
}
