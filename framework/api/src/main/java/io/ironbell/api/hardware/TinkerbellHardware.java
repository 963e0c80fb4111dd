package io.ironbell.api.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import java.util.Iterator;
import java.util.Map;

/**
 * The one mapping between Ironbell's hardware record (tink v0.6's JSON) and Tinkerbell's
 * {@code tinkerbell.org/v1alpha1} Hardware object: interfaces ({@code dhcp} alike; {@code netboot}
 * with camel-case names there, snake case here; {@code disableDhcp}), {@code metadata} alike,
 * {@code disks} as the instance's storage disks, {@code userData} and {@code vendorData} as the
 * instance's. Fields of a Tinkerbell interface that the record has no place for stay in the
 * interface as they are.
 */
public final class TinkerbellHardware {

    private TinkerbellHardware() {
    }

    /** The record as Tinkerbell's Hardware object: {@code metadata.name}, {@code spec} and an empty {@code status}. */
    public static ObjectNode toObject(Hardware hw) {
        ObjectNode object = Json.mapper().createObjectNode();
        object.putObject("metadata").put("name", hw.id());
        ObjectNode spec = object.putObject("spec");
        spec.putObject("auto"); // a struct in Tinkerbell's spec: always written, empty
        ArrayNode interfaces = Json.mapper().createArrayNode();
        for (HardwareInterface i : hw.interfaces()) {
            ObjectNode iface = Json.mapper().valueToTree(i);
            JsonNode nb = iface.remove("netboot");
            if (nb != null && nb.isObject()) {
                ObjectNode netboot = iface.putObject("netboot");
                rename(nb, "allow_pxe", netboot, "allowPXE");
                rename(nb, "allow_workflow", netboot, "allowWorkflow");
                if (nb.has("ipxe")) {
                    netboot.set("ipxe", nb.get("ipxe"));
                }
                if (nb.get("osie") instanceof ObjectNode o) {
                    ObjectNode osie = netboot.putObject("osie");
                    rename(o, "base_url", osie, "baseURL");
                    o.properties().forEach(e -> {
                        if (!e.getKey().equals("base_url")) {
                            osie.set(e.getKey(), e.getValue());
                        }
                    });
                }
                nb.properties().forEach(e -> {
                    if (!Map.of("allow_pxe", 1, "allow_workflow", 1, "ipxe", 1, "osie", 1).containsKey(e.getKey())) {
                        netboot.set(e.getKey(), e.getValue());
                    }
                });
            }
            if (iface.get("dhcp") instanceof ObjectNode dhcp) {
                JsonNode disabled = dhcp.remove("disable_dhcp");
                if (disabled != null && disabled.asBoolean()) {
                    iface.put("disableDhcp", true);
                }
            }
            interfaces.add(iface);
        }
        if (!interfaces.isEmpty()) {
            spec.set("interfaces", interfaces);
        }
        if (hw.metadata() != null) {
            JsonNode md = Json.mapper().valueToTree(hw.metadata());
            spec.set("metadata", md);
            JsonNode instance = md.path("instance");
            ArrayNode disks = Json.mapper().createArrayNode();
            instance.path("storage").path("disks").forEach(d -> {
                if (d.hasNonNull("device")) {
                    disks.addObject().put("device", d.get("device").asText());
                }
            });
            if (!disks.isEmpty()) {
                spec.set("disks", disks);
            }
            rename(instance, "userdata", spec, "userData");
            rename(instance, "vendordata", spec, "vendorData");
        }
        object.putObject("status");
        return object;
    }

    /**
     * The record for a Tinkerbell Hardware object's spec, under the object's name.
     *
     * @throws IllegalArgumentException naming the field that cannot be read
     */
    public static Hardware toHardware(String name, JsonNode spec) {
        ObjectNode record = Json.mapper().createObjectNode();
        record.put("id", name);
        ArrayNode interfaces = Json.mapper().createArrayNode();
        JsonNode specInterfaces = spec.path("interfaces");
        for (int n = 0; n < specInterfaces.size(); n++) {
            JsonNode i = specInterfaces.get(n);
            if (!i.isObject()) {
                throw new IllegalArgumentException("spec.interfaces[" + n + "] must be a mapping");
            }
            ObjectNode iface = ((ObjectNode) i).deepCopy();
            JsonNode nb = iface.remove("netboot");
            if (nb != null && nb.isObject()) {
                ObjectNode netboot = iface.putObject("netboot");
                rename(nb, "allowPXE", netboot, "allow_pxe");
                rename(nb, "allowWorkflow", netboot, "allow_workflow");
                if (nb.has("ipxe")) {
                    netboot.set("ipxe", nb.get("ipxe"));
                }
                if (nb.get("osie") instanceof ObjectNode o) {
                    ObjectNode osie = netboot.putObject("osie");
                    rename(o, "baseURL", osie, "base_url");
                    o.properties().forEach(e -> {
                        if (!e.getKey().equals("baseURL")) {
                            osie.set(e.getKey(), e.getValue());
                        }
                    });
                }
                nb.properties().forEach(e -> {
                    if (!Map.of("allowPXE", 1, "allowWorkflow", 1, "ipxe", 1, "osie", 1).containsKey(e.getKey())) {
                        netboot.set(e.getKey(), e.getValue());
                    }
                });
            }
            JsonNode disabled = iface.remove("disableDhcp");
            if (disabled != null && disabled.asBoolean() && iface.get("dhcp") instanceof ObjectNode dhcp) {
                dhcp.put("disable_dhcp", true);
            }
            interfaces.add(iface);
        }
        if (!interfaces.isEmpty()) {
            record.putObject("network").set("interfaces", interfaces);
        }
        ObjectNode metadata = spec.get("metadata") instanceof ObjectNode m ? m.deepCopy() : null;
        boolean instanceData = spec.hasNonNull("disks") || spec.hasNonNull("userData") || spec.hasNonNull("vendorData");
        if (metadata == null && instanceData) {
            metadata = Json.mapper().createObjectNode();
        }
        if (metadata != null) {
            if (instanceData) {
                ObjectNode instance = metadata.get("instance") instanceof ObjectNode o ? o : metadata.putObject("instance");
                if (!instance.has("userdata")) {
                    rename(spec, "userData", instance, "userdata");
                }
                if (!instance.has("vendordata")) {
                    rename(spec, "vendorData", instance, "vendordata");
                }
                ObjectNode storage = instance.get("storage") instanceof ObjectNode s ? s : null;
                if (spec.path("disks").size() > 0 && (storage == null || !storage.has("disks"))) {
                    ArrayNode disks = (storage == null ? instance.putObject("storage") : storage).putArray("disks");
                    for (Iterator<JsonNode> it = spec.path("disks").elements(); it.hasNext(); ) {
                        JsonNode d = it.next();
                        disks.addObject().put("device", d.path("device").asText(""));
                    }
                }
            }
            record.set("metadata", metadata);
        }
        try {
            return Json.mapper().treeToValue(record, Hardware.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("spec: " + e.getOriginalMessage(), e);
        }
    }

    private static void rename(JsonNode from, String fromName, ObjectNode to, String toName) {
        if (from.hasNonNull(fromName)) {
            to.set(toName, from.get(fromName));
        }
    }
}
