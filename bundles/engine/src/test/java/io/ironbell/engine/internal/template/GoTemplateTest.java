package io.ironbell.engine.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.template.TemplateException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GoTemplateTest {

    private final Map<String, Object> data = Map.of(
            "device_1", "52:54:00:12:34:56",
            "Hardware", Map.of(
                    "Disks", List.of("/dev/nvme0n1", "/dev/sdb"),
                    "Interfaces", List.of(Map.of("DHCP", Map.of("mac", "52:54:00:12:34:56", "hostname", "node-1"))),
                    "Metadata", Map.of("instance", Map.of("hostname", "node-1", "tags", List.of("a", "b")))));

    private String render(String t) throws TemplateException {
        return GoTemplate.parse(t).render(data);
    }

    @Test
    void fieldsIndexAndParentheses() throws Exception {
        assertEquals("worker: 52:54:00:12:34:56", render("worker: {{.device_1}}"));
        assertEquals("disk: /dev/nvme0n1", render("disk: {{ index .Hardware.Disks 0 }}"));
        assertEquals("disk: /dev/sdb", render("disk: {{ (index .Hardware.Disks 1) }}"));
        assertEquals("node-1", render("{{ (index .Hardware.Interfaces 0).DHCP.hostname }}"));
        assertEquals("node-1", render("{{ .Hardware.Metadata.instance.hostname }}"));
        assertEquals("node-1", render("{{ .hardware.metadata.Instance.Hostname }}"), "names match ignoring case");
        assertEquals("52:54:00:12:34:56", render("{{ index .Hardware.Interfaces 0 \"DHCP\" \"mac\" }}"));
        assertEquals("[\"a\",\"b\"]", render("{{ .Hardware.Metadata.instance.tags }}"));
        assertEquals("ab", render("a{{/* a comment */}}b"));
        assertEquals("ab", render("a\n  {{- /* trimmed on both sides */ -}}\n  b"));
    }

    @Test
    void trimMarkersEatWhitespace() throws Exception {
        assertEquals("x:y", render("x: {{- \"y\" }}"));
        assertEquals("x y", render("x {{ \"y\" -}}   "));
    }

    @Test
    void missingKeysAreErrorsWithTheirLine() {
        TemplateException e = assertThrows(TemplateException.class, () -> render("a: 1\nb: {{ .device_2 }}"));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("map has no entry for key \"device_2\""), e.getMessage());
        e = assertThrows(TemplateException.class, () -> render("\n\n{{ .Hardware.Nope.x }}"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("Hardware.Nope"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> render("{{ index .Hardware.Disks 5 }}"));
        assertTrue(e.getMessage().contains("index 5 out of range (length 2)"), e.getMessage());
    }

    @Test
    void unsupportedActionsAreRefusedNotMisrendered() {
        for (String t : List.of("{{ if .device_1 }}x{{ end }}", "{{ range .Hardware.Disks }}{{ end }}", "{{ .device_1 | upper }}",
                "{{ printf \"%s\" .device_1 }}", "{{ . }}", "{{ .device_1 ", "{{}}")) {
            TemplateException e = assertThrows(TemplateException.class, () -> render(t), t);
            assertEquals(1, e.line(), t);
        }
    }

    @Test
    void placeholdersAnswerEveryPath() throws Exception {
        Map<String, Object> anything = new java.util.HashMap<>() {
            @Override
            public Object get(Object key) {
                return GoTemplate.ANYTHING;
            }
        };
        assertEquals("placeholder placeholder", GoTemplate.parse("{{ .device_9 }} {{ (index .Hardware.Disks 3).x }}").render(anything));
    }
}
