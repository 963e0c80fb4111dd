package io.ironbell.engine.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareMetadata;
import io.ironbell.api.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a template sees when it is rendered: the hardware map's keys ({@code .device_1}) and
 * {@code .Hardware}, the record of the map's first key, in Tinkerbell's names:
 * {@code ID}, {@code Hostname}, {@code Disks} (device paths), {@code Interfaces} (each with
 * {@code DHCP} and {@code Netboot}, their fields under their JSON names), {@code Metadata},
 * {@code UserData}, {@code VendorData}. Field names match case-insensitively.
 */
final class RenderModel {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private RenderModel() {
    }

    static Map<String, Object> of(Map<String, String> hardwareMap, Hardware hw) {
        Map<String, Object> root = new LinkedHashMap<>(hardwareMap);
        root.put("Hardware", hardware(hw));
        return root;
    }

    static Map<String, Object> hardware(Hardware hw) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("ID", hw.id());
        hw.hostname().ifPresent(n -> h.put("Hostname", n));
        List<String> disks = new ArrayList<>();
        HardwareMetadata md = hw.metadata();
        if (md != null && md.instance() != null && md.instance().storage() != null && md.instance().storage().disks() != null) {
            md.instance().storage().disks().forEach(d -> {
                if (d.device() != null) {
                    disks.add(d.device());
                }
            });
        }
        h.put("Disks", disks);
        List<Map<String, Object>> interfaces = new ArrayList<>();
        for (HardwareInterface i : hw.interfaces()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("DHCP", tree(i.dhcp()));
            m.put("Netboot", tree(i.netboot()));
            interfaces.add(m);
        }
        h.put("Interfaces", interfaces);
        if (md != null) {
            h.put("Metadata", tree(md));
            if (md.instance() != null) {
                putIfNotNull(h, "UserData", md.instance().userdata());
                putIfNotNull(h, "VendorData", md.instance().vendordata());
            }
        }
        return h;
    }

    private static void putIfNotNull(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static Map<String, Object> tree(Object value) {
        return value == null ? Map.of() : Json.mapper().convertValue(value, MAP);
    }
}
