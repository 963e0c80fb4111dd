package io.ironbell.manifests.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.manifests.internal.ManifestReader.Document;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestReaderTest {

    @Test
    void documentsListsAndTheLinesOfTheirFields() throws Exception {
        List<Document> docs = ManifestReader.read("""
                # a comment
                apiVersion: tinkerbell.org/v1alpha1
                kind: Hardware
                metadata:
                  name: a
                ---
                ---
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: tinkerbell.org/v1alpha1
                    kind: Workflow
                    metadata: {name: w}
                    spec:
                      hardwareMap:
                        device_1: 52:54:00:00:00:01
                  - apiVersion: v1
                    kind: Secret
                    metadata: {name: s}
                ---
                """);
        assertEquals(3, docs.size());
        assertEquals(1, docs.get(0).number());
        assertEquals(5, docs.get(0).lineOf("metadata.name"));
        Document w = docs.get(1);
        assertEquals(3, w.number(), "the empty document between the two counts, as the reader of the file sees it");
        assertEquals("52:54:00:00:00:01", w.object().at("/spec/hardwareMap/device_1").asText(), "a MAC stays text");
        assertEquals(16, w.lineOf("spec.hardwareMap.device_1"));
        assertEquals(14, w.lineOf("spec.templateRef"), "an absent field: its nearest parent's line");
        assertEquals("document 3 (line 19)", docs.get(2).at("metadata.name"));
    }

    @Test
    void jsonAndErrorsWithTheirLine() throws Exception {
        assertEquals(2, ManifestReader.read("{\"kind\": \"Hardware\"}\n{\"kind\": \"Template\"}").size());
        ManifestReader.Unreadable dup = assertThrows(ManifestReader.Unreadable.class,
                () -> ManifestReader.read("kind: Hardware\nmetadata:\n  name: a\n  name: b\n"));
        assertTrue(dup.getMessage().startsWith("document 1 (line 4): malformed YAML: field metadata.name appears twice"), dup.getMessage());
        ManifestReader.Unreadable scalar = assertThrows(ManifestReader.Unreadable.class, () -> ManifestReader.read("kind: A\n---\njust text\n"));
        assertEquals("document 2 (line 3): must be a mapping (apiVersion, kind, metadata, ...), was string", scalar.getMessage());
        ManifestReader.Unreadable bad = assertThrows(ManifestReader.Unreadable.class, () -> ManifestReader.read("kind: [\n"));
        assertEquals("document 1 (line 1): malformed YAML: while parsing a flow node: expected the node content, but found '<stream end>'",
                bad.getMessage());
    }

    @Test
    void durationsAsGoWritesThem() {
        assertEquals("0s", Export.goDuration(Duration.ZERO));
        assertEquals("250ms", Export.goDuration(Duration.ofMillis(250)));
        assertEquals("12.5s", Export.goDuration(Duration.ofMillis(12_500)));
        assertEquals("1m5s", Export.goDuration(Duration.ofSeconds(65)));
        assertEquals("1h0m0.001s", Export.goDuration(Duration.ofMillis(3_600_001)));
    }
}
