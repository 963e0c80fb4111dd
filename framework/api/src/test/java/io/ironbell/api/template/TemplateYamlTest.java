package io.ironbell.api.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateYamlTest {

    private final ObjectMapper yaml = Json.yaml();

    private Template sample() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tink-template.yaml")) {
            return yaml.readValue(in, Template.class);
        }
    }

    @Test
    void readsTinkerbellTemplate() throws Exception {
        Template t = sample();
        assertEquals("0.1", t.version());
        assertEquals("debian", t.name());
        assertEquals(1800, t.globalTimeout());
        Task task = t.tasks().get(0);
        assertEquals("{{.device_1}}", task.worker());
        assertEquals(List.of("/dev:/dev", "/dev/console:/dev/console", "/lib/firmware:/lib/firmware:ro"), task.volumes());
        TemplateAction image = task.actions().get(0);
        assertEquals("quay.io/tinkerbell-actions/image2disk:v1.0.0", image.image());
        assertEquals(600, image.timeout());
        assertEquals("true", image.environment().get("COMPRESSED"));
        TemplateAction kexec = task.actions().get(1);
        assertEquals("host", kexec.pid());
        assertEquals(Map.of("BLOCK_DEVICE", "/dev/nvme0n1p1", "FS_TYPE", "ext4"), task.environmentFor(kexec));
    }

    @Test
    void roundTripsThroughYamlAndJson() throws Exception {
        Template t = sample();
        assertEquals(t, yaml.readValue(yaml.writeValueAsString(t), Template.class));
        assertEquals(t, Json.mapper().readValue(Json.mapper().writeValueAsBytes(t), Template.class));
    }

    @Test
    void actionEnvironmentOverridesTask() throws Exception {
        Template t = yaml.readValue("""
                version: "0.1"
                name: t
                tasks:
                  - name: a
                    worker: w
                    environment: {A: task, B: task}
                    actions:
                      - name: x
                        image: i
                        command: /bin/true
                        retries: 3
                        environment: {B: action}
                """, Template.class);
        Task task = t.tasks().get(0);
        TemplateAction x = task.actions().get(0);
        assertEquals(Map.of("A", "task", "B", "action"), task.environmentFor(x));
        assertEquals(List.of("/bin/true"), x.command());
        assertEquals(3, x.retries());
    }

    @Test
    void neverExpandsAliases() throws Exception {
        StringBuilder doc = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        char prev = 'a';
        for (char c = 'b'; c <= 'k'; c++) {
            doc.append(c).append(": &").append(c).append(" [");
            for (int i = 0; i < 10; i++) {
                doc.append(i == 0 ? "" : ", ").append('*').append(prev);
            }
            doc.append("]\n");
            prev = c;
        }
        // ten levels of ten aliases would be 10^10 nodes if expanded; unexpanded it is 101 nodes
        assertTrue(yaml.readTree(doc.toString()).toString().length() < doc.length() * 2);
    }

    @Test
    void refusesDeepNesting() {
        String deep = "a: " + "[".repeat(200) + "]".repeat(200);
        assertThrows(Exception.class, () -> yaml.readTree(deep));
    }
}
