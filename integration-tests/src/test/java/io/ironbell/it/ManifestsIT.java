package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import io.ironbell.testing.Sh;
import java.net.URI;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ironbell apply} and {@code ironbell get} on Tinkerbell's own manifests (tink's e2e data
 * and CRD examples, the playground, the agent's example, Rufio's README, an EKS Anywhere
 * template as the Cluster API provider wraps it; see tinkerbell-manifests/SOURCES.tsv) against a
 * real server: created, applied again unchanged, exported and applied back unchanged, changed,
 * refused whole with the document and the line.
 */
class ManifestsIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    private static final Path CORPUS = Path.of("src/test/resources/tinkerbell-manifests");
    private static ServerProcess server;
    private static Path home;
    private static String token;
    private static String database;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        home = tmp.resolve("home");
        database = TestPostgres.createDatabase();
        server = ServerProcess.start(DISTRIBUTION, home, Map.of("IRONBELL_STORAGE_JDBC_URL", database, "IRONBELL_STORAGE_USER",
                TestPostgres.USER));
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(home.resolve("data/api-token")).trim();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    record Cli(int status, String out, String err) {
    }

    static Cli cli(String... args) throws Exception {
        Sh.Result r = server.cli(Map.of(), args);
        return new Cli(r.status(), r.output(), r.errors());
    }

    /** Applies and returns "kind/name" to outcome, failing on any error. */
    static Map<String, String> apply(Path... files) throws Exception {
        Cli c = applyCli(files);
        assertEquals(0, c.status(), c.out() + c.err());
        return outcomes(c.out());
    }

    static Cli applyCli(Path... files) throws Exception {
        List<String> args = new ArrayList<>(List.of("apply"));
        for (Path f : files) {
            args.add("-f");
            args.add(f.toAbsolutePath().toString());
        }
        return cli(args.toArray(String[]::new));
    }

    static Map<String, String> outcomes(String out) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : out.strip().split("\n")) {
            if (!line.isBlank()) {
                String[] p = line.split(" ");
                m.put(p[0], p[1]);
            }
        }
        return m;
    }

    static Map<String, String> all(Map<String, String> outcomes, String outcome) {
        Map<String, String> m = new LinkedHashMap<>();
        outcomes.keySet().forEach(k -> m.put(k, outcome));
        return m;
    }

    /** Exports every object to files of their own, applies them back: nothing may change. */
    static void roundTrip(Map<String, String> objects, Path dir) throws Exception {
        Files.createDirectories(dir);
        List<Path> exported = new ArrayList<>();
        for (String ref : objects.keySet()) {
            String[] kn = ref.split("/");
            Cli got = cli("get", kn[0], kn[1]);
            assertEquals(0, got.status(), got.err());
            assertTrue(got.out().startsWith("apiVersion: "), got.out());
            Path f = dir.resolve(kn[0] + "-" + kn[1] + ".yaml");
            Files.writeString(f, got.out());
            exported.add(f);
        }
        assertEquals(all(objects, "unchanged"), apply(exported.toArray(Path[]::new)), "exported objects applied back change nothing");
    }

    static Path[] files(String scenario) throws Exception {
        try (Stream<Path> s = Files.list(CORPUS.resolve(scenario))) {
            return s.sorted().toArray(Path[]::new);
        }
    }

    static JsonNode yaml(String text) throws Exception {
        return Json.yaml().readTree(text);
    }

    @Test
    void tinkerbellsOwnManifestsApplyUnchangedAndComeBackOut(@TempDir Path tmp) throws Exception {
        Map<String, Map<String, String>> expected = new LinkedHashMap<>();
        expected.put("tink-e2e-01", Map.of("hardware/sm01", "created", "template/debian", "created", "workflow/wf1", "created"));
        expected.put("eks-anywhere", Map.of("hardware/eksa-cp-1", "created", "template/eksa-cp-1", "created", "workflow/eksa-cp-1", "created"));
        expected.put("playground", Map.of("hardware/machine1", "created", "template/ubuntu", "created",
                "workflow/playground-workflow", "created"));
        expected.put("tinkerbell-agent-example", Map.of("hardware/virtual", "created", "template/testing", "created", "workflow/virtual", "created"));
        expected.put("rufio", Map.of("secret/bm-auth", "created", "machine/machine-sample", "created",
                "machine/machine-sample-with-opts", "created", "job/job-sample", "created"));
        for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
            Path[] files = files(e.getKey());
            Map<String, String> first = apply(files);
            assertEquals(new TreeMap<>(e.getValue()), new TreeMap<>(first), e.getKey() + ": every object created");
            assertEquals(all(first, "unchanged"), apply(files), e.getKey() + ": applied again, nothing changes");
            roundTrip(first, tmp.resolve(e.getKey()));
        }

        // names wherever ids are taken
        assertTrue(cli("workflow", "get", "wf1").out().contains("stream-debian-image"));
        assertEquals(0, cli("hardware", "get", "sm01").status());
        assertTrue(cli("template", "get", "debian").out().contains("debian"));

        // the EKS Anywhere template rendered for its Hardware (if, range, netmaskToPrefixLength, VLAN)
        JsonNode eksa = yaml(cli("get", "workflow", "eksa-cp-1").out());
        String contents = eksa.at("/status/tasks/0/actions/1/environment/CONTENTS").asText();
        assertTrue(contents.contains("vlan42:") && contents.contains("- 10.20.30.41/22") && contents.contains("addresses: [10.20.0.1, 10.20.0.2]"),
                contents);
        assertEquals("/dev/sda", eksa.at("/status/tasks/0/actions/0/environment/DEST_DISK").asText());
        assertEquals("PENDING", eksa.at("/status/state").asText());
        assertEquals("52:54:00:e5:a0:01", eksa.at("/status/currentState/agentID").asText());
        assertEquals("eksa-system", eksa.at("/metadata/namespace").asText());
        assertEquals("cp", yaml(cli("get", "hardware", "eksa-cp-1").out()).at("/metadata/labels/type").asText(), "labels kept");

        // the CRD examples: the same sm01 and wf1 under other specs
        Map<String, String> examples = apply(files("tink-crd-examples"));
        assertEquals("configured", examples.get("hardware/sm01"));
        assertEquals("configured", examples.get("workflow/wf1"), "a workflow not started yet is made again from its new spec");
        assertEquals("sm01", yaml(cli("get", "workflow", "wf1").out()).at("/spec/hardwareRef").asText());

        // tink's e2e 02: its hardware has sm01's MAC; a task whose worker is "pnj" names no machine
        Cli second = applyCli(files("tink-e2e-02"));
        assertEquals(1, second.status());
        assertTrue(second.err().contains("hardware1.yaml: document 1 (line 6), hardware/hardware1: MAC address 3c:ec:ef:4c:4f:54 is already "
                + "registered to hardware sm01"), second.err());
        assertTrue(second.err().contains("workflow2.yaml: document 1 (line 6), workflow/wf2: task bmc-setup: worker 'pnj' is not a known "
                + "MAC address"), second.err());
        assertEquals(0, cli("hardware", "delete", "sm01").status());
        Cli again = applyCli(files("tink-e2e-02"));
        assertEquals("created", outcomes(again.out()).get("hardware/hardware1"), again.out() + again.err());
        assertEquals(404, Http.send(get("/manifests/hardware/sm01")).status(), "deleting the record deletes its object");
    }

    @Test
    void unknownFieldsRoundTripAndATemplateChangeIsARevision(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("rack.yaml");
        String hardware = """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata:
                  name: rack-7
                  namespace: tink-system
                  labels: {rack: "7"}
                  annotations: {owner: ops}
                spec:
                  bmcRef: {apiGroup: bmc.tinkerbell.org, kind: Machine, name: rack-7-bmc}
                  userData: "#cloud-config\\n"
                  futureField: {nested: [1, 2]}
                  interfaces:
                    - dhcp: {mac: "52:54:00:77:00:01", hostname: rack-7, ip: {address: 10.7.0.1, netmask: 255.255.0.0}}
                      netboot: {allowPXE: true, allowWorkflow: true, ipxe: {url: "http://boot/x.ipxe"}}
                      isoboot: {sourceISO: "http://iso/hook.iso"}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: rack-install, namespace: tink-system}
                spec:
                  data: |
                    version: "0.1"
                    name: rack-install
                    global_timeout: 600
                    tasks:
                      - name: os
                        worker: "{{.device_1}}"
                        actions:
                        {{- range $i, $d := .Hardware.Disks }}
                          - name: wipe-{{ $i }}
                            image: wipe
                            timeout: 60
                            environment: {DISK: {{ $d }}, PART: {{ formatPartition $d 1 }}}
                        {{- else }}
                          - name: no-disk
                            image: noop
                        {{- end }}
                """;
        Files.writeString(f, hardware);
        assertEquals(Map.of("hardware/rack-7", "created", "template/rack-install", "created"), apply(f));
        JsonNode hw = yaml(cli("get", "hardware", "rack-7").out());
        assertEquals(2, hw.at("/spec/futureField/nested").size(), "an unknown field kept: " + hw);
        assertEquals("rack-7-bmc", hw.at("/spec/bmcRef/name").asText());
        assertEquals("http://iso/hook.iso", hw.at("/spec/interfaces/0/isoboot/sourceISO").asText());
        assertEquals("ops", hw.at("/metadata/annotations/owner").asText());
        assertEquals("tink-system", hw.at("/metadata/namespace").asText());
        // the record the DHCP and metadata services use
        JsonNode record = Json.mapper().readTree(cli("hardware", "get", "rack-7", "-o", "json").out());
        assertEquals("http://boot/x.ipxe", record.at("/network/interfaces/0/netboot/ipxe/url").asText());
        assertTrue(record.at("/network/interfaces/0/netboot/allow_workflow").asBoolean());
        assertEquals("#cloud-config\n", record.at("/metadata/instance/userdata").asText());

        // a changed template is a new revision; the hardware beside it is unchanged
        Files.writeString(f, hardware.replace("timeout: 60", "timeout: 90"));
        assertEquals(Map.of("hardware/rack-7", "unchanged", "template/rack-install", "configured"), apply(f));
        assertEquals(2, Json.mapper().readTree(cli("template", "get", "rack-install", "-o", "json").out()).get("revision").asInt());

        // a workflow with bootOptions; no disk in the record: the range's else
        Path wf = tmp.resolve("wf.json");
        Files.writeString(wf, """
                {"apiVersion": "tinkerbell.org/v1alpha1", "kind": "Workflow", "metadata": {"name": "rack-7-install"},
                 "spec": {"templateRef": "rack-install", "hardwareRef": "rack-7", "hardwareMap": {"device_1": "52:54:00:77:00:01"},
                          "bootOptions": {"toggleAllowNetboot": true, "bootMode": "netboot"}}}
                """);
        assertEquals(Map.of("workflow/rack-7-install", "created"), apply(wf));
        Cli shown = cli("workflow", "get", "rack-7-install");
        assertTrue(shown.out().contains("no-disk") && shown.out().contains("\"bootMode\":\"netboot\""), shown.out());
    }

    @Test
    void aFileWithAnInvalidObjectAppliesNothingAndSaysWhere(@TempDir Path tmp) throws Exception {
        record Case(String name, String text, String says) {
        }
        String hw = """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: bad-1}
                spec:
                  interfaces: [{dhcp: {mac: "52:54:00:bd:00:01"}, netboot: {allowWorkflow: true}}]
                ---
                """;
        List<Case> cases = List.of(
                new Case("boot-mode.yaml", hw + """
                        apiVersion: tinkerbell.org/v1alpha1
                        kind: Workflow
                        metadata: {name: bad-1}
                        spec:
                          templateRef: x
                          hardwareMap: {device_1: "52:54:00:bd:00:01"}
                          bootOptions:
                            bootMode: floppy
                        """, "document 2 (line 14): spec.bootOptions.bootMode: must be one of netboot, iso, isoboot, customboot"),
                new Case("no-template.yaml", hw + """
                        apiVersion: tinkerbell.org/v1alpha1
                        kind: Workflow
                        metadata: {name: bad-1}
                        spec: {templateRef: nowhere, hardwareMap: {device_1: "52:54:00:bd:00:01"}}
                        """, "workflow/bad-1: no template nowhere"),
                new Case("template-syntax.yaml", hw + """
                        apiVersion: tinkerbell.org/v1alpha1
                        kind: Template
                        metadata: {name: bad-1}
                        spec:
                          data: |
                            version: "0.1"
                            name: x
                            tasks:
                              - name: a
                                worker: "{{ .device_1 | nosuchfunction }}"
                        """, "spec.data: template line 5 (line 16 of the file): template: workflow-template:5: function \"nosuchfunction\" not defined"),
                new Case("malformed.yaml", hw + "kind: Workflow\nmetadata: {name: [\n", "document 2 (line 8): malformed YAML"),
                new Case("kind.yaml", hw + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                        "document 2 (line 8): kind: 'ConfigMap' is not a kind Ironbell applies"),
                new Case("version.yaml", hw + "apiVersion: tinkerbell.org/v1alpha2\nkind: Workflow\nmetadata: {name: x}\nspec: {}\n",
                        "document 2 (line 7): apiVersion: must be tinkerbell.org/v1alpha1 for a Workflow, was tinkerbell.org/v1alpha2"),
                new Case("name.yaml", hw.replace("name: bad-1", "name: Bad_1"), "document 1 (line 3): metadata.name: 'Bad_1' is not a valid name"),
                new Case("twice.yaml", hw + hw.replace("---\n", ""), "document 2 (line 9): metadata.name: hardware/bad-1 appears twice"),
                new Case("mac.yaml", hw.replace("52:54:00:bd:00:01", "52:54:00:bd:00"), "document 1 (line 5): spec.interfaces[0].dhcp.mac"));
        for (Case c : cases) {
            Path f = tmp.resolve(c.name());
            Files.writeString(f, c.text());
            Cli r = applyCli(f);
            assertEquals(1, r.status(), c.name() + ": " + r.out() + r.err());
            assertTrue(r.err().contains(c.says()), c.name() + ": " + r.err());
            assertEquals(404, Http.send(get("/hardware/bad-1")).status(), c.name() + ": nothing from the file was applied");
        }
        // two files: the good one applies, the bad one does not
        Path good = tmp.resolve("good.yaml");
        Files.writeString(good, hw.replace("---\n", ""));
        Cli both = applyCli(good, tmp.resolve("no-template.yaml"));
        assertEquals(1, both.status());
        assertEquals(Map.of("hardware/bad-1", "created"), outcomes(both.out()));
        assertTrue(both.err().contains("no-template.yaml"), both.err());
        assertEquals(0, cli("hardware", "delete", "bad-1").status());
    }

    @Test
    void aWorkflowWhoseTemplateDoesNotRenderIsKeptFailedAndRenderedAgain(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("bare.yaml");
        String manifests = """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: bare}
                spec:
                  interfaces: [{dhcp: {mac: "52:54:00:ba:00:01"}, netboot: {allowPXE: true, allowWorkflow: true}}]
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: needs-disk}
                spec:
                  data: |
                    version: "0.1"
                    name: needs-disk
                    tasks:
                      - name: os
                        worker: "{{.device_1}}"
                        actions:
                          - name: stream
                            image: image2disk
                            timeout: 60
                            environment: {DEST_DISK: "{{ index .Hardware.Disks 0 }}"}
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: bare-install}
                spec: {templateRef: needs-disk, hardwareRef: bare, hardwareMap: {device_1: "52:54:00:ba:00:01"}}
                """;
        Files.writeString(f, manifests);
        Cli first = applyCli(f);
        assertEquals(0, first.status(), first.err());
        assertEquals(Map.of("hardware/bare", "created", "template/needs-disk", "created", "workflow/bare-install", "created"),
                outcomes(first.out()));
        assertTrue(first.err().contains("warning: workflow/bare-install: template needs-disk revision 1 did not render: line 10: "
                + "template: workflow-template:10: executing \"workflow-template\": error calling index: reflect: slice index out of range"),
                first.err());
        JsonNode failed = yaml(cli("get", "workflow", "bare-install").out()).get("status");
        assertEquals("failed", failed.get("templateRendering").asText());
        assertEquals("FAILED", failed.get("state").asText());
        assertEquals("False", failed.at("/conditions/0/status").asText());
        assertTrue(failed.at("/conditions/0/message").asText().contains("slice index out of range"), failed.toString());
        assertTrue(cli("workflow", "get", "bare-install").out().contains("FAILED"));
        assertEquals(Map.of("hardware/bare", "unchanged", "template/needs-disk", "unchanged", "workflow/bare-install", "unchanged"),
                apply(f), "rendered again, failing the same way");
        // the machine gets its disk: the workflow renders
        Files.writeString(f, manifests.replace("spec:\n  interfaces:", "spec:\n  disks: [{device: /dev/sda}]\n  interfaces:"));
        Cli fixed = applyCli(f);
        assertEquals(Map.of("hardware/bare", "configured", "template/needs-disk", "unchanged", "workflow/bare-install", "configured"),
                outcomes(fixed.out()), fixed.err());
        assertFalse(fixed.err().contains("warning"), fixed.err());
        JsonNode rendered = yaml(cli("get", "workflow", "bare-install").out()).get("status");
        assertEquals("successful", rendered.get("templateRendering").asText());
        assertEquals("PENDING", rendered.get("state").asText());
        assertEquals("/dev/sda", rendered.at("/tasks/0/actions/0/environment/DEST_DISK").asText());
    }

    @Test
    void secretsAreKeptEncryptedAndNeverShown(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("secret.yaml");
        Files.writeString(f, """
                apiVersion: v1
                kind: Secret
                metadata: {name: bmc-42, namespace: rufio-system}
                type: kubernetes.io/basic-auth
                data: {username: cm9vdA==}
                stringData: {password: hunter2-very-secret}
                """);
        assertEquals(Map.of("secret/bmc-42", "created"), apply(f));
        Http.Response api = Http.send(get("/manifests/secrets/bmc-42"));
        assertEquals(200, api.status());
        assertFalse(api.body().contains("hunter2") || api.body().contains("cm9vdA") || api.body().contains("aHVudGVy"), api.body());
        JsonNode shown = yaml(cli("get", "secret", "bmc-42").out());
        assertEquals("", shown.at("/data/password").asText());
        assertEquals("true", shown.at("/metadata/annotations/ironbell.io~1redacted").asText());
        Path key = home.resolve("data/secrets.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(32, Files.size(key));
        // the exported (redacted) Secret applies back unchanged; a new value is a change
        Path exported = tmp.resolve("exported.yaml");
        Files.writeString(exported, cli("get", "secret", "bmc-42").out());
        assertEquals(Map.of("secret/bmc-42", "unchanged"), apply(exported));
        assertEquals(Map.of("secret/bmc-42", "unchanged"), apply(f));
        Files.writeString(f, Files.readString(f).replace("hunter2", "hunter3"));
        assertEquals(Map.of("secret/bmc-42", "configured"), apply(f));
        // the database holds neither the values nor their base64, only what the key outside it opens
        try (Connection c = DriverManager.getConnection(database, TestPostgres.USER, "");
             ResultSet r = c.createStatement().executeQuery("SELECT object::text, secret FROM manifest WHERE kind = 'Secret' AND name = 'bmc-42'")) {
            assertTrue(r.next());
            String stored = r.getString(1) + new String(r.getBytes(2), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertFalse(stored.contains("hunter3") || stored.contains("cm9vdA") || stored.contains("root"), stored);
            assertTrue(r.getBytes(2).length > 28, "nonce, ciphertext and tag");
        }
    }

    @Test
    void aWorkflowsStatusComesOutInTinkerbellsShape(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("run.yaml");
        Files.writeString(f, """
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata: {name: runner}
                spec:
                  disks: [{device: /dev/nvme0n1}]
                  interfaces: [{dhcp: {mac: "52:54:00:52:00:01", ip: {address: 10.52.0.1}}, netboot: {allowPXE: true, allowWorkflow: true}}]
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Template
                metadata: {name: runner}
                spec:
                  data: |
                    version: "0.1"
                    name: runner
                    global_timeout: 1800
                    tasks:
                      - name: os
                        worker: "{{.device_1}}"
                        actions:
                          - name: stream
                            image: image2disk
                            timeout: 600
                            environment: {DEST_DISK: "{{ index .Hardware.Disks 0 }}", ROOT: "{{ formatPartition (index .Hardware.Disks 0) 2 }}"}
                          - name: kexec
                            image: kexec
                            timeout: 60
                ---
                apiVersion: tinkerbell.org/v1alpha1
                kind: Workflow
                metadata: {name: runner}
                spec: {templateRef: runner, hardwareRef: runner, hardwareMap: {device_1: "52:54:00:52:00:01"}}
                """);
        apply(f);
        JsonNode a = Json.mapper().readTree(Http.send(worker("GET", "next", null)).body());
        assertEquals(200, Http.send(worker("POST", "report", "{\"workflowId\":\"runner\",\"actionIndex\":" + a.get("actionIndex")
                + ",\"state\":\"SUCCESS\"}")).status());
        JsonNode status = yaml(cli("get", "workflow", "runner").out()).get("status");
        assertEquals("RUNNING", status.get("state").asText());
        assertEquals("kexec", status.at("/currentState/actionName").asText());
        assertEquals("PENDING", status.at("/currentState/state").asText());
        assertEquals("SUCCESS", status.at("/tasks/0/actions/0/state").asText());
        assertEquals("/dev/nvme0n1p2", status.at("/tasks/0/actions/0/environment/ROOT").asText());
        assertTrue(status.at("/tasks/0/actions/0/executionStart").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), status.toString());
        assertTrue(status.at("/tasks/0/actions/0/executionDuration").asText().matches("[0-9.]+m?s"), status.toString());
        assertEquals(1800, status.get("globalTimeout").asInt());
        assertEquals("52:54:00:52:00:01", status.at("/tasks/0/agentID").asText());
        // a workflow that has started cannot take a new spec
        Files.writeString(f, Files.readString(f).replace("device_1: \"52:54:00:52:00:01\"}}", "device_1: \"52:54:00:52:00:01\", x: y}}"));
        Cli refused = applyCli(f);
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("workflow/runner: the workflow is RUNNING and its spec cannot change once it has started"), refused.err());
    }

    private static HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1" + path))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).GET().build();
    }

    private static HttpRequest worker(String method, String what, String body) {
        return HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/worker/52:54:00:52:00:01/" + what)))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
