package io.ironbell.engine.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateParserTest {

    static final String COMPAT = """
            version: "0.1"
            name: debian
            global_timeout: 1800
            tasks:
              - name: "os-installation"
                worker: "{{.device_1}}"
                volumes: [/dev:/dev, /dev/console:/dev/console, /lib/firmware:/lib/firmware:ro]
                environment: {}
                actions:
                  - name: "stream-image"
                    image: quay.io/tinkerbell-actions/image2disk:v1.0.0
                    timeout: 600
                    environment: {DEST_DISK: /dev/nvme0n1, IMG_URL: "http://10.1.1.11:8080/debian.raw.gz", COMPRESSED: true}
                  - name: "kexec"
                    image: quay.io/tinkerbell-actions/kexec:v1.0.0
                    timeout: 90
                    pid: host
                    environment: {BLOCK_DEVICE: /dev/nvme0n1p1, FS_TYPE: ext4}
            """;

    @Test
    void theCompatibilityExampleRendersAndParses() throws Exception {
        Template t = TemplateParser.parse(COMPAT.replace("{{.device_1}}", "52:54:00:12:34:56"));
        assertEquals("52:54:00:12:34:56", t.tasks().get(0).worker());
        assertEquals(600, t.tasks().get(0).actions().get(0).timeout());
        assertEquals("true", t.tasks().get(0).actions().get(0).environment().get("COMPRESSED"));
        assertEquals("host", t.tasks().get(0).actions().get(1).pid());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            version not text      | version: [1]\\nname: x\\ntasks: []                                    | line 1: version: must be text
            image not a reference | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: "Quay.io//x"} | line 7: tasks[0].actions[0].image: invalid action image (Quay.io//x): invalid reference format
            image upper case      | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: Image2disk} | repository name must be lowercase
            command as text       | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: i, command: "sleep 5"} | tasks[0].actions[0].command: must be a list, as Tinkerbell reads it
            duplicate key         | version: "0.1"\\nname: x\\nname: y\\ntasks: []                         | line 3: malformed YAML: field name appears twice
            no tasks              | version: "0.1"\\nname: x\\ntasks: []                                | line 3: tasks: at least one task is required
            name too long         | version: "0.1"\\nname: NAME200\\ntasks: []                          | line 2: name: must be 1 to 199 bytes, was 200
            duplicate task        | version: "0.1"\\nname: x\\ntasks:\\n- {name: a, worker: w, actions: [{name: s, image: i}]}\\n- {name: a, worker: w, actions: [{name: s, image: i}]} | line 5: tasks[1].name: task name 'a' is used twice
            duplicate action      | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: i}\\n  - {name: s, image: j} | line 8: tasks[0].actions[1].name: action name 's' is used twice in task 'a'
            missing image         | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - name: s | line 7: tasks[0].actions[0].image: is required
            bad timeout           | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - name: s\\n    image: i\\n    timeout: soon | line 9: tasks[0].actions[0].timeout: must be a positive whole number of seconds
            bad retries           | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: i, retries: -1} | tasks[0].actions[0].retries: must be a whole number from 0 to 100
            bad pid               | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  actions:\\n  - {name: s, image: i, pid: guest} | tasks[0].actions[0].pid: must be "host"
            env not a map         | version: "0.1"\\nname: x\\ntasks:\\n- name: a\\n  worker: w\\n  environment: [A]\\n  actions: [{name: s, image: i}] | line 6: tasks[0].environment: must be a mapping
            malformed yaml        | version: "0.1"\\nname: [unclosed\\ntasks: []                           | line 3: malformed YAML
            not a mapping         | - just\\n- a list                                                 | line 1: a template is a mapping
            alias                 | version: "0.1"\\nname: &n x\\ntasks: []                               | line 2: YAML anchors and aliases
            """)
    void invalidTemplatesNameTheLineAndField(String what, String yaml, String expected) {
        String doc = yaml.replace("\\n", "\n").replace("NAME200", "n".repeat(200));
        TemplateException e = assertThrows(TemplateException.class, () -> TemplateParser.parse(doc));
        assertTrue(e.getMessage().startsWith(expected.trim()) || e.getMessage().contains(expected.trim()),
                what + ": expected '" + expected.trim() + "' in '" + e.getMessage() + "'");
    }

    @Test
    void whatTinkerbellReadsIsReadTheSameWay() throws Exception {
        Template t = TemplateParser.parse("""
                name: 0x1F
                tasks:
                  - name: true
                    worker: w
                    actions:
                      - name: s
                        image: 127.0.0.1:5000/acme/raid:1.4@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                        timeout: 90.9
                        environment: {EMPTY: , TILDE: ~, MODE: 0600, ON: on}
                """);
        assertEquals("0.1", t.version(), "Tinkerbell reads no version; Ironbell takes 0.1");
        assertEquals("0x1F", t.name(), "a Go string field takes the text as written");
        assertEquals("true", t.tasks().get(0).name());
        assertEquals(90, t.tasks().get(0).actions().get(0).timeout(), "yaml.v3 truncates a float read into an int");
        assertEquals(Map.of("EMPTY", "", "TILDE", "", "MODE", "0600", "ON", "on"), t.tasks().get(0).actions().get(0).environment());
        assertEquals(null, TemplateParser.imageProblem("quay.io/tinkerbell/actions/image2disk:latest"));
        assertEquals(null, TemplateParser.imageProblem("bash"));
        assertEquals(null, TemplateParser.imageProblem("Registry.Example/acme/x"), "an upper-case first component is a domain");
        assertTrue(TemplateParser.imageProblem("a".repeat(64).replace('a', 'f')).contains("64-byte hexadecimal"));
        assertTrue(TemplateParser.imageProblem("x:bad tag") != null);
    }

    @Test
    void hostileInputIsRefused() {
        String huge = "version: \"0.1\"\nname: x\ntasks: []\n# " + "x".repeat(300_000);
        assertTrue(assertThrows(TemplateException.class, () -> TemplateParser.parse(huge)).getMessage().contains("bytes; at most"));
        StringBuilder bomb = new StringBuilder("version: \"0.1\"\nname: x\na: &a [x, x, x]\nb: &b [*a, *a, *a]\ntasks: []\n");
        assertTrue(assertThrows(TemplateException.class, () -> TemplateParser.parse(bomb.toString())).getMessage().contains("aliases"));
        String deep = "version: \"0.1\"\nname: x\ntasks: []\ndeep: " + "[".repeat(500) + "]".repeat(500) + "\n";
        assertThrows(TemplateException.class, () -> TemplateParser.parse(deep));
    }

    @Test
    void retriesAndCommandsAreRead() throws Exception {
        Template t = TemplateParser.parse("""
                version: "0.1"
                name: x
                tasks:
                  - name: a
                    worker: w
                    actions:
                      - name: s
                        image: i
                        retries: 3
                        command: ["/bin/sh", "-c", "echo hi"]
                """);
        assertEquals(3, t.tasks().get(0).actions().get(0).retries());
        assertEquals(List.of("/bin/sh", "-c", "echo hi"), t.tasks().get(0).actions().get(0).command());
    }

    @Test
    void aTaskMayHaveNoActionsButTheTemplateNeedsOne() throws Exception {
        Template t = TemplateParser.parse("""
                version: "0.1"
                name: x
                tasks:
                  - name: prepare
                    worker: w
                  - name: empty
                    worker: w
                    actions: []
                  - name: install
                    worker: w
                    actions: [{name: a, image: quay.io/tinkerbell-actions/writefile:v1.0.0, timeout: 60}]
                """);
        assertEquals(0, t.tasks().get(0).actions().size(), "as in Tinkerbell, a task without actions");
        assertEquals(1, t.tasks().get(2).actions().size());
        TemplateException none = assertThrows(TemplateException.class, () -> TemplateParser.parse(
                "version: \"0.1\"\nname: x\ntasks:\n  - name: a\n    worker: w\n    actions: []\n"));
        assertTrue(none.getMessage().contains("at least one action is required in the template's tasks"), none.getMessage());
        TemplateException notAList = assertThrows(TemplateException.class, () -> TemplateParser.parse(
                "version: \"0.1\"\nname: x\ntasks:\n  - name: a\n    worker: w\n    actions: nope\n"));
        assertTrue(notAList.getMessage().contains("line 6: tasks[0].actions: must be a list of actions"), notAList.getMessage());
    }
}
