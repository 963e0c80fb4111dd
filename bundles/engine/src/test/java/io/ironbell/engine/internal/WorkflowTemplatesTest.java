package io.ironbell.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Workflow templates as Tinkerbell renders them: the data's shape (.device_1, .Hardware with Go
 * field names, .hardware with JSON names and float64 numbers), Sprig's and Tinkerbell's
 * functions, missingkey=error with the line, the output cap, and the check before any workflow.
 */
class WorkflowTemplatesTest {

    private static final Hardware HW;

    static {
        try {
            HW = Json.mapper().readValue("""
                    {"id": "node-1", "network": {"interfaces": [
                       {"dhcp": {"mac": "52:54:00:12:34:56", "hostname": "node-1", "lease_time": 86400, "iface_name": "eth0",
                                 "ip": {"address": "10.1.1.20", "netmask": "255.255.255.0", "gateway": "10.1.1.1"}},
                        "netboot": {"allow_pxe": true, "allow_workflow": true}},
                       {"dhcp": {"mac": "52:54:00:12:34:57"}}]},
                     "metadata": {"instance": {"hostname": "node-1", "tags": ["a", "b"], "userdata": "#cloud-config",
                                  "storage": {"disks": [{"device": "/dev/nvme0n1"}, {"device": "/dev/sdb"}]}}}}
                    """, Hardware.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String render(String actionEnvironmentValue) throws TemplateException {
        Template t = WorkflowTemplates.render("""
                version: "0.1"
                name: t
                global_timeout: 600
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - name: a
                        image: quay.io/tinkerbell-actions/writefile:v1.0.0
                        timeout: 60
                        environment:
                          VALUE: %s
                """.formatted(actionEnvironmentValue), Map.of("device_1", "52:54:00:12:34:56"), io.ironbell.api.hardware.TinkerbellHardware.toObject(HW));
        assertEquals("52:54:00:12:34:56", t.tasks().get(0).worker());
        return t.tasks().get(0).actions().get(0).environment().get("VALUE");
    }

    @Test
    void theInventoryIsThereWhenTheMachineReportedOne() throws Exception {
        com.fasterxml.jackson.databind.JsonNode inventory = Json.mapper().readTree("""
                {"system": {"vendor": "QEMU", "serial": "SN-1"}, "cpu": {"threads": 4}, "memory": {"totalBytes": 4294967296},
                 "disks": [{"name": "sda", "sizeBytes": 40000000000, "rotational": true},
                           {"name": "nvme0n1", "sizeBytes": 256000000000, "rotational": false},
                           {"name": "vdb", "sizeBytes": 8000000000, "rotational": false}]}
                """);
        String template = """
                version: "0.1"
                name: t
                global_timeout: 600
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - name: a
                        image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                        timeout: 60
                        environment:
                          DEST_DISK: "/dev/{{ (index .Hardware.Inventory.ssdsBySize 0).name }}"
                          BIGGEST: "{{ (index .Hardware.Inventory.disksBySize 2).name }}"
                          SERIAL: "{{ .Hardware.Inventory.system.serial }} {{ .Hardware.Inventory.cpu.threads }}"
                          SPINNING: "{{ range .Hardware.Inventory.disks }}{{ if .rotational }}{{ .name }}{{ end }}{{ end }}"
                """;
        Map<String, String> env = WorkflowTemplates.render(template, Map.of("device_1", "52:54:00:12:34:56"),
                io.ironbell.api.hardware.TinkerbellHardware.toObject(HW), inventory).tasks().get(0).actions().get(0).environment();
        assertEquals("/dev/vdb", env.get("DEST_DISK"), "the smallest non-rotational disk");
        assertEquals("nvme0n1", env.get("BIGGEST"));
        assertEquals("SN-1 4", env.get("SERIAL"));
        assertEquals("sda", env.get("SPINNING"));
        // a machine that reported nothing: the template says so at its line
        TemplateException e = assertThrows(TemplateException.class, () -> WorkflowTemplates.render(template, Map.of("device_1", "52:54:00:12:34:56"),
                io.ironbell.api.hardware.TinkerbellHardware.toObject(HW), null));
        assertTrue(e.getMessage().contains("Inventory"), e.getMessage());
    }

    @Test
    void theDataHasTinkerbellsShape() throws Exception {
        assertEquals("/dev/nvme0n1", render("\"{{ index .Hardware.Disks 0 }}\""));
        assertEquals("[/dev/nvme0n1 /dev/sdb]", render("\"{{ .Hardware.Disks }}\""));
        assertEquals("node-1", render("\"{{ (index .Hardware.Interfaces 0).DHCP.Hostname }}\""));
        assertEquals("10.1.1.20", render("\"{{ (index .Hardware.Interfaces 0).DHCP.IP.Address }}\""));
        assertEquals("true", render("\"{{ (index .Hardware.Interfaces 0).Netboot.AllowPXE }}\""));
        assertEquals("node-1", render("\"{{ .Hardware.Metadata.Instance.Hostname }}\""));
        assertEquals("[a b]", render("\"{{ .Hardware.Metadata.Instance.Tags }}\""));
        assertEquals("#cloud-config", render("\"{{ .Hardware.UserData }}\""));
        // .hardware: the Hardware object under its JSON names, its numbers float64 as JSON gives them
        assertEquals("node-1 86400 1", render("\"{{ .hardware.metadata.name }} {{ (index .hardware.spec.interfaces 0).dhcp.lease_time }}"
                + " {{ len .references | add1 }}\""));
        assertEquals("true", render("\"{{ (index .hardware.spec.interfaces 0).netboot.allowPXE }}\""));
    }

    @Test
    void theWholeLanguageAndTinkerbellsFunctions() throws Exception {
        assertEquals("/dev/nvme0n1p1 /dev/sdb2", render("\"{{ formatPartition (index .Hardware.Disks 0) 1 }} {{ formatPartition (index .Hardware.Disks 1) 2 }}\""));
        assertEquals("24", render("\"{{ netmaskToPrefixLength (index .Hardware.Interfaces 0).DHCP.IP.Netmask }}\""));
        assertEquals("0:52:54:00:12:34:56,1:52:54:00:12:34:57,", render(
                "\"{{ range $i, $nic := .Hardware.Interfaces }}{{ $i }}:{{ $nic.DHCP.MAC }},{{ end }}\""));
        assertEquals("NVME", render("'{{ if hasPrefix \"/dev/nvme\" (index .Hardware.Disks 0) }}NVME{{ else }}OTHER{{ end }}'"));
        assertEquals("0644", render("0644"), "environment values keep their text");
    }

    @Test
    void errorsNameTheLineAndWhatIsMissing() {
        TemplateException missing = assertThrows(TemplateException.class, () -> render("\"{{ .device_2 }}\""));
        assertTrue(missing.getMessage().contains("map has no entry for key \"device_2\"") && missing.line() == 12, missing.getMessage());
        TemplateException field = assertThrows(TemplateException.class, () -> render("\"{{ .Hardware.Hostname }}\""));
        assertTrue(field.getMessage().contains("can't evaluate field Hostname in type workflow.templateHardwareData"), field.getMessage());
        TemplateException index = assertThrows(TemplateException.class, () -> render("\"{{ index .Hardware.Disks 5 }}\""));
        assertTrue(index.getMessage().contains("index out of range: 5"), index.getMessage());
        TemplateException syntax = assertThrows(TemplateException.class, () -> WorkflowTemplates.parse("a\n{{ if .x }}"));
        assertTrue(syntax.getMessage().contains("unexpected EOF"), syntax.getMessage());
        TemplateException unknown = assertThrows(TemplateException.class, () -> WorkflowTemplates.parse("{{ env \"HOME\" }}"));
        assertTrue(unknown.getMessage().contains("function \"env\" not defined"), "not hermetic: " + unknown.getMessage());
        TemplateException big = assertThrows(TemplateException.class, () -> render("'{{ repeat 300000 \"x\" }}'"));
        assertTrue(big.getMessage().contains("larger than 262144 bytes"), big.getMessage());
    }

    @Test
    void aTemplateIsCheckedBeforeAnyWorkflowUsesIt() throws Exception {
        TemplateException bad = assertThrows(TemplateException.class, () -> WorkflowTemplates.check("""
                version: "0.1"
                name: t
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - name: a
                        image: x
                        timeout: "{{ .device_1 }}"
                """));
        assertTrue(bad.getMessage().contains("timeout"), bad.getMessage());
        // needs a second machine: checked as far as its syntax, its name read from its text
        Template needsData = WorkflowTemplates.check("""
                version: "0.1"
                name: two-machines
                tasks:
                  - name: t
                    worker: "{{.device_2}}"
                    actions: []
                """);
        assertEquals("two-machines", needsData.name());
        assertNull(needsData.globalTimeout());
    }
}
