package io.ironbell.api.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class HardwareJsonTest {

    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.equals(b)) {
            return 0;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return 1;
    };

    private final ObjectMapper mapper = Json.mapper();

    private JsonNode sample() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/tink-hardware.json")) {
            return mapper.readTree(in);
        }
    }

    @Test
    void tinkerbellHardwareRoundTripsWithoutLoss() throws Exception {
        JsonNode original = sample();
        Hardware hw = mapper.treeToValue(original, Hardware.class);
        JsonNode written = mapper.valueToTree(hw);
        // same tree, with numbers compared by value (86400 may come back as a long node)
        assertTrue(original.equals(NUMBERS_BY_VALUE, written), () -> original + "\n!=\n" + written);
        // and a second pass through text
        Hardware again = mapper.readValue(mapper.writeValueAsBytes(hw), Hardware.class);
        assertEquals(hw, again);
    }

    @Test
    void modelledFieldsAreTyped() throws Exception {
        Hardware hw = mapper.treeToValue(sample(), Hardware.class);
        assertEquals("0eba0bf8-3772-4b4a-ab9f-6ebe93b90a94", hw.id());
        assertEquals(2, hw.interfaces().size());
        HardwareInterface first = hw.interfaces().get(0);
        assertEquals(MacAddress.parse("52:54:00:12:34:56"), first.macAddress());
        assertEquals(86400L, first.dhcp().leaseTime());
        assertEquals("10.250.0.1", first.dhcp().ip().gateway());
        assertTrue(first.allowsPxe());
        assertTrue(first.allowsWorkflow());
        HardwareInterface second = hw.interfaces().get(1);
        assertFalse(second.allowsPxe());
        assertEquals("42", second.dhcp().vlanId());
        assertEquals(List.of(new Dhcp.StaticRoute("10.0.0.0/8", "10.250.0.254", null)),
                second.dhcp().classlessStaticRoutes());
        assertEquals("ipxe.efi", second.dhcp().bootFileName());
        assertEquals("#cloud-config\npackages:\n  - curl\n", hw.metadata().instance().userdata());
        assertEquals("ubuntu_22_04", hw.metadata().instance().operatingSystem().osSlug());
        assertEquals("/dev/sda", hw.metadata().instance().storage().disks().get(0).device());
        assertEquals("r12", hw.metadata().extra().get("custom").get("rack").asText());
        assertEquals("2026-11-01T10:00:00Z", hw.extra().get("created_at").asText());
        assertEquals("node-1", hw.hostname().orElseThrow());
        assertEquals(first, hw.interfaceByMac(MacAddress.parse("52-54-00-12-34-56")).orElseThrow());
        assertTrue(hw.interfaceByMac(MacAddress.parse("52:54:00:00:00:01")).isEmpty());
    }

    @Test
    void absentFieldsStayAbsent() throws Exception {
        String minimal = "{\"id\":\"x\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"aa:bb:cc:dd:ee:ff\"}}]}}";
        Hardware hw = mapper.readValue(minimal, Hardware.class);
        assertEquals(mapper.readTree(minimal), mapper.<JsonNode>valueToTree(hw));
        assertFalse(hw.interfaces().get(0).allowsPxe());
    }
}
