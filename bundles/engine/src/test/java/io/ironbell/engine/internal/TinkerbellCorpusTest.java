package io.ironbell.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.engine.internal.gotemplate.DifferentialTest;
import io.ironbell.engine.internal.gotemplate.GoReference;
import io.ironbell.engine.internal.gotemplate.GoTemplateException;
import io.ironbell.engine.internal.gotemplate.TextTemplate;
import io.ironbell.engine.internal.gotemplate.TinkerbellFunctions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every template found in Tinkerbell's repositories, its docs, EKS Anywhere and the Cluster API
 * provider (src/test/resources/tinkerbell-corpus, SOURCES.tsv says where each is from) renders
 * byte for byte as Tinkerbell's renderer renders it (Go's text/template with Sprig, the same data
 * in Tinkerbell's types), and what renders reads as a workflow.
 */
class TinkerbellCorpusTest {

    @Test
    void everyTemplateOfTheCorpusRendersAsTinkerbellRendersIt() throws Exception {
        Hardware hw = Json.mapper().readValue("""
                {"id": "machine1", "network": {"interfaces": [{
                  "dhcp": {"mac": "02:7f:92:bd:2d:57", "hostname": "machine1", "arch": "x86_64", "uefi": true, "lease_time": 86400,
                           "name_servers": ["1.1.1.1", "8.8.8.8"], "vlan_id": "100", "iface_name": "eth0",
                           "ip": {"address": "192.168.2.21", "netmask": "255.255.255.0", "gateway": "192.168.2.1"}},
                  "netboot": {"allow_pxe": true, "allow_workflow": true}}]},
                 "metadata": {"instance": {"id": "machine1", "hostname": "machine1", "operating_system": {"distro": "ubuntu", "version": "22.04"},
                              "storage": {"disks": [{"device": "/dev/nvme0n1"}, {"device": "/dev/sda"}]}, "userdata": "", "tags": ["rack9"]},
                              "facility": {"facility_code": "onprem", "plan_slug": "c3.small.x86"}}}
                """, Hardware.class);
        List<Path> corpus;
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/tinkerbell-corpus"))) {
            corpus = files.filter(p -> p.toString().endsWith(".tmpl")).sorted().toList();
        }
        assertTrue(corpus.size() >= 16, "the corpus: " + corpus.size());
        List<String> differences = new ArrayList<>();
        int rendered = 0;
        int workflows = 0;
        try (GoReference go = GoReference.start()) {
            for (Path file : corpus) {
                String text = Files.readString(file);
                Map<String, Object> data = TemplateData.of(Map.of("device_1", "02:7f:92:bd:2d:57", "device_2", "machine1"), hw);
                GoReference.Answer expected = go.render(WorkflowTemplates.NAME, text, GoReference.encode(data), "error", "tinkerbell");
                String actual;
                String error = null;
                try {
                    actual = DifferentialTest.asSentByGo(TextTemplate.parse(WorkflowTemplates.NAME, text, TinkerbellFunctions.all(),
                            TextTemplate.MissingKey.ERROR).execute(TemplateData.of(Map.of("device_1", "02:7f:92:bd:2d:57", "device_2", "machine1"), hw),
                            WorkflowTemplates.MAX_RENDERED_BYTES));
                } catch (GoTemplateException e) {
                    actual = null;
                    error = e.getMessage();
                }
                boolean same = expected.ok() ? expected.out().equals(actual) : actual == null;
                if (!same) {
                    differences.add(file.getFileName() + "\ngo:   " + (expected.ok() ? expected.out() : expected.error()) + "\njava: "
                            + (actual != null ? actual : error));
                }
                if (!expected.ok()) {
                    System.out.println("corpus: " + file.getFileName() + " is refused by Tinkerbell's renderer too: " + expected.error());
                }
                if (expected.ok()) {
                    rendered++;
                    try {
                        io.ironbell.engine.internal.template.TemplateParser.parse(actual);
                        workflows++;
                    } catch (io.ironbell.api.template.TemplateException notAWorkflow) {
                        System.out.println("corpus: " + file.getFileName() + " renders, but is not a workflow here: " + notAWorkflow.getMessage());
                    }
                }
            }
        }
        System.out.printf("corpus: %d templates, %d rendered by Tinkerbell's renderer, identical here; %d of them read as workflows%n",
                corpus.size(), rendered, workflows);
        assertEquals(List.of(), differences, "templates that render differently");
        // refused by both: EKS Anywhere's docs call netmaskToCIDR (not Tinkerbell's), a doc reads hardware status attributes
        assertTrue(rendered >= corpus.size() - 3, "the corpus renders: " + rendered + " of " + corpus.size());
    }
}
