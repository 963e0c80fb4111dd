package io.ironbell.engine.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.template.Template;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A workflow's template rendered as a workflow creation renders it: Tinkerbell's playground
 * template (formatPartition, index, the hardware map) parsed, executed on the machine's data in
 * Tinkerbell's shape, and its YAML read. In the engine's package: the renderer is internal.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TemplateRenderBench {

    private String template;
    private Hardware hardware;
    private final Map<String, String> hardwareMap = Map.of("device_1", "02:7f:92:bd:2d:57");

    @Setup
    public void setUp() throws IOException {
        try (InputStream in = TemplateRenderBench.class.getResourceAsStream("/playground-template.tmpl")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        hardware = Json.mapper().readValue("""
                {"id": "machine1", "network": {"interfaces": [{
                  "dhcp": {"mac": "02:7f:92:bd:2d:57", "hostname": "machine1", "arch": "x86_64", "uefi": true,
                           "name_servers": ["1.1.1.1"], "ip": {"address": "192.168.2.21", "netmask": "255.255.255.0", "gateway": "192.168.2.1"}},
                  "netboot": {"allow_pxe": true, "allow_workflow": true}}]},
                 "metadata": {"instance": {"hostname": "machine1", "storage": {"disks": [{"device": "/dev/nvme0n1"}]}}}}
                """, Hardware.class);
    }

    /** What a workflow's creation does: parse, execute, read the YAML. */
    @Benchmark
    public Template renderAndRead() throws Exception {
        return WorkflowTemplates.render(template, hardwareMap, io.ironbell.api.hardware.TinkerbellHardware.toObject(hardware));
    }

    /** The template language alone: parse and execute on the machine's data. */
    @Benchmark
    public String render() throws Exception {
        return WorkflowTemplates.parse(template).execute(TemplateData.of(hardwareMap, hardware), WorkflowTemplates.MAX_RENDERED_BYTES);
    }
}
