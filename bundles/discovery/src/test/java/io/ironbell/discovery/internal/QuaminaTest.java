package io.ironbell.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.discovery.Inventory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Quamina's pattern semantics (PATTERNS.md) over the attributes Tinkerbell's agent reports, as WorkflowRuleSets use them. */
class QuaminaTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tinkerbell's documented example of an agent's attributes, cut down. */
    private static final String ATTRIBUTES = """
            {"cpu": {"totalCores": 4, "totalThreads": 8, "processors": [{"id": 0, "cores": 4, "vendor": "GenuineIntel"}]},
             "memory": {"total": "32GB", "usable": "31GB"},
             "blockDevices": [
               {"name": "nvme0n1", "controllerType": "NVMe", "driveType": "SSD", "size": "239GB", "model": "KINGSTON ABC"},
               {"name": "sda", "controllerType": "SCSI", "driveType": "HDD", "size": "4TB", "model": "ST4000"}],
             "networkInterfaces": [{"name": "docker0", "mac": "", "speed": "10000Mb/s"},
               {"name": "eno1", "mac": "de:ad:be:ef:00:00", "speed": "1000Mb/s"}],
             "chassis": {"serial": "To Be Filled By O.E.M.", "vendor": "To Be Filled By O.E.M."},
             "product": {"name": "abcd123", "vendor": "example vendor", "serialNumber": "S1*2"},
             "gpuDevices": [],
             "flag": null}""";

    private static boolean matches(String pattern) throws Exception {
        return Quamina.compile(pattern).matches(JSON.readTree(ATTRIBUTES));
    }

    @Test
    void literalsPathsAndArrays() throws Exception {
        assertTrue(matches("{\"networkInterfaces\": {\"mac\": [{\"wildcard\": \"*\"}]}}"), "Tinkerbell's match-everything rule");
        assertTrue(matches("{\"product\": {\"vendor\": [\"other\", \"example vendor\"]}}"), "any of the listed values");
        assertFalse(matches("{\"product\": {\"vendor\": [\"Example Vendor\"]}}"), "exact, case and all");
        assertTrue(matches("{\"cpu\": {\"totalCores\": [4.0]}}"), "numbers compare by value");
        assertFalse(matches("{\"cpu\": {\"totalCores\": [\"4\"]}}"), "a string is not a number");
        assertTrue(matches("{\"cpu\": {\"processors\": {\"vendor\": [\"GenuineIntel\"]}}}"), "paths pass through arrays");
        assertTrue(matches("{\"product\": {\"vendor\": [\"example vendor\"]}, \"memory\": {\"total\": [\"32GB\"]}}"), "every field must match");
        assertFalse(matches("{\"product\": {\"vendor\": [\"example vendor\"]}, \"memory\": {\"total\": [\"64GB\"]}}"));
        assertFalse(matches("{\"product\": {\"vendor\": []}}"), "an empty list matches nothing");
        assertTrue(matches("{\"flag\": [null]}"));
    }

    @Test
    void fieldsOfOneArrayElementMustComeFromOneElement() throws Exception {
        assertTrue(matches("{\"blockDevices\": {\"driveType\": [\"SSD\"], \"size\": [\"239GB\"]}}"));
        assertFalse(matches("{\"blockDevices\": {\"driveType\": [\"SSD\"], \"size\": [\"4TB\"]}}"), "no SSD of 4TB: the 4TB disk spins");
        assertTrue(matches("{\"networkInterfaces\": {\"name\": [\"eno1\"], \"speed\": [{\"prefix\": \"1000\"}]}}"));
        assertFalse(matches("{\"networkInterfaces\": {\"name\": [\"docker0\"], \"mac\": [{\"prefix\": \"de:ad\"}]}}"));
    }

    @Test
    void extendedPatterns() throws Exception {
        assertTrue(matches("{\"product\": {\"name\": [{\"prefix\": \"abc\"}]}}"));
        assertFalse(matches("{\"product\": {\"name\": [{\"prefix\": \"bcd\"}]}}"));
        assertTrue(matches("{\"product\": {\"vendor\": [{\"equals-ignore-case\": \"EXAMPLE Vendor\"}]}}"));
        assertTrue(matches("{\"blockDevices\": {\"model\": [{\"wildcard\": \"*ST4*\"}]}}"));
        assertTrue(matches("{\"blockDevices\": {\"model\": [{\"shellstyle\": \"KINGSTON*\"}]}}"));
        assertTrue(matches("{\"product\": {\"serialNumber\": [{\"wildcard\": \"S1\\\\*2\"}]}}"), "\\* is a star");
        assertFalse(matches("{\"product\": {\"serialNumber\": [{\"wildcard\": \"S1\\\\*3\"}]}}"));
        assertTrue(matches("{\"product\": {\"vendor\": [{\"anything-but\": [\"Dell Inc.\", \"HPE\"]}]}}"));
        assertFalse(matches("{\"product\": {\"vendor\": [{\"anything-but\": [\"example vendor\"]}]}}"));
        assertTrue(matches("{\"product\": {\"serialNumber\": [{\"exists\": true}]}}"));
        assertFalse(matches("{\"product\": {\"sku\": [{\"exists\": true}]}}"));
        assertTrue(matches("{\"product\": {\"sku\": [{\"exists\": false}]}}"));
        assertFalse(matches("{\"product\": [{\"exists\": true}]}"), "exists looks at leaves, not objects");
        assertTrue(matches("{\"gpuDevices\": {\"vendor\": [{\"exists\": false}]}}"), "an empty array has no values");
        assertTrue(matches("{\"flag\": [{\"exists\": true}]}"), "null is a value");
        assertTrue(matches("{\"blockDevices\": {\"size\": [{\"regexp\": \"~d+TB\"}]}}"), "~ is the regexp escape");
        assertFalse(matches("{\"blockDevices\": {\"size\": [{\"regexp\": \"~d+PB\"}]}}"));
        assertFalse(matches("{\"blockDevices\": {\"size\": [{\"regexp\": \"TB\"}]}}"), "a regexp matches the whole value");
    }

    @Test
    void badPatternsAreRefusedSayingWhere() {
        assertEquals("a pattern is a JSON object", bad("[1]"));
        assertTrue(bad("{\"product\": {\"vendor\": \"QEMU\"}}").startsWith("product.vendor: a pattern's values are in arrays"));
        assertTrue(bad("{\"a\": [{\"suffix\": \"x\"}]}").contains("'suffix' is not a pattern type"));
        assertTrue(bad("{\"a\": [{\"wildcard\": \"a**b\"}]}").contains("adjacent '*'"));
        assertTrue(bad("{\"a\": [{\"wildcard\": \"a\\\\b\"}]}").contains("escapes only"));
        assertTrue(bad("{\"a\": [{\"exists\": true}, \"x\"]}").contains("has nothing else"));
        assertTrue(bad("{\"a\": [{\"regexp\": \"(a\"}]}").startsWith("a: regexp '(a'"));
        assertTrue(bad("{\"a\": [{\"prefix\": 1}]}").contains("prefix takes a string"));
        assertTrue(bad("{not json").startsWith("not JSON"));
    }

    private static String bad(String pattern) {
        return assertThrows(IllegalArgumentException.class, () -> Quamina.compile(pattern)).getMessage();
    }

    @Test
    void attributesAreWhatTinkerbellsAgentWouldReport() {
        Inventory inv = new Inventory(
                new Inventory.System("QEMU", "Standard PC (Q35 + ICH9, 2009)", null, "IB-A-0001", null, null, null, null, null, null, null, null),
                new Inventory.Firmware("uefi", "EDK II", "stable", "02/06/2015", false),
                new Inventory.Cpu("QEMU Virtual CPU", "AuthenticAMD", 1, 2, 2, List.of("fpu", "sse2")),
                new Inventory.Memory(1536L << 20),
                List.of(new Inventory.Disk("vda", 2L << 30, null, "0x1af4", "IB-DISK-A1", null, true, false, 512, 512, "virtio"),
                        new Inventory.Disk("sda", 1536L << 20, "QEMU HARDDISK", "QEMU", "IB-SSD", null, false, false, 512, 4096, "scsi"),
                        new Inventory.Disk("loop0", 1 << 20, null, null, null, null, true, false, 512, 512, "other")),
                List.of(new Inventory.Nic("eth0", "52:54:00:aa:00:01", "virtio_net", 1000, true, 1500, "0000:00:03.0")),
                List.of(), null, null);
        JsonNode a = AgentAttributes.of(inv);
        assertEquals("2GB", a.at("/memory/total").asText(), "1536 MiB is 2GB to ghw: rounded up");
        assertEquals(2, a.get("blockDevices").size(), "a disk on no known controller is left out, as Tinkerbell does");
        assertEquals("virtio", a.at("/blockDevices/0/controllerType").asText());
        assertEquals("HDD", a.at("/blockDevices/0/driveType").asText());
        assertEquals("2GB", a.at("/blockDevices/0/size").asText());
        assertEquals("SSD", a.at("/blockDevices/1/driveType").asText());
        assertEquals("SCSI", a.at("/blockDevices/1/controllerType").asText());
        assertEquals("4KB", a.at("/blockDevices/1/physicalBlockSize").asText());
        assertEquals("1000Mb/s", a.at("/networkInterfaces/0/speed").asText());
        assertEquals("IB-A-0001", a.at("/product/serialNumber").asText());
        assertEquals("QEMU", a.at("/product/vendor").asText());
        assertEquals(2, a.at("/cpu/totalThreads").asInt());
        assertEquals("EDK II", a.at("/bios/vendor").asText());
        assertTrue(Quamina.compile("{\"blockDevices\": {\"driveType\": [\"SSD\"], \"size\": [{\"wildcard\": \"*GB\"}]}, "
                + "\"product\": {\"vendor\": [\"QEMU\"]}}").matches(a));
        assertEquals("", AgentAttributes.humanReadable(0));
        assertEquals("1023B", AgentAttributes.humanReadable(1023));
        assertEquals("1KB", AgentAttributes.humanReadable(1024));
        assertEquals("2KB", AgentAttributes.humanReadable(1025));
        assertEquals("8EB", AgentAttributes.humanReadable(Long.MAX_VALUE));
    }
}
