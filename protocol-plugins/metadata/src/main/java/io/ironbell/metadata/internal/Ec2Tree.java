package io.ironbell.metadata.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareMetadata;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A machine's EC2-style {@code meta-data/} tree, built from its hardware record: a map whose
 * values are either text (a leaf) or another map (a directory). Fields the record does not have
 * are absent, so that asking for them is a 404 as on EC2.
 */
final class Ec2Tree {

    private Ec2Tree() {
    }

    /** The {@code meta-data/} directory of this machine; {@code mac} is the interface it asked from. */
    static Map<String, Object> metaData(Hardware hw, HardwareInterface nic) {
        Map<String, Object> md = new LinkedHashMap<>();
        HardwareMetadata meta = hw.metadata();
        HardwareMetadata.Instance instance = meta == null ? null : meta.instance();
        put(md, "instance-id", instance != null && notBlank(instance.id()) ? instance.id() : hw.id());
        Optional<String> hostname = instance != null && notBlank(instance.hostname()) ? Optional.of(instance.hostname()) : hw.hostname();
        hostname.ifPresent(h -> {
            put(md, "hostname", h);
            put(md, "local-hostname", h);
        });
        String dhcpIp = nic != null && nic.dhcp() != null && nic.dhcp().ip() != null ? nic.dhcp().ip().address() : null;
        put(md, "local-ipv4", firstAddress(instance, 4, false).orElse(dhcpIp));
        firstAddress(instance, 4, true).ifPresent(a -> put(md, "public-ipv4", a));
        firstAddress(instance, 6, true).ifPresent(a -> put(md, "public-ipv6", a));
        if (nic != null && nic.macAddress() != null) {
            put(md, "mac", nic.macAddress().toString());
        }
        if (meta != null && meta.facility() != null && notBlank(meta.facility().facilityCode())) {
            md.put("placement", dir("availability-zone", meta.facility().facilityCode()));
        }
        if (meta != null && meta.facility() != null && notBlank(meta.facility().planSlug())) {
            put(md, "instance-type", meta.facility().planSlug());
        }
        if (instance != null && instance.tags() != null && !instance.tags().isEmpty()) {
            Map<String, Object> tags = new LinkedHashMap<>();
            for (String tag : instance.tags()) {
                int eq = tag.indexOf('=');
                tags.put(eq < 0 ? tag : tag.substring(0, eq), eq < 0 ? "" : tag.substring(eq + 1));
            }
            md.put("tags", dir("instance", tags));
        }
        if (instance != null && instance.sshKeys() != null && !instance.sshKeys().isEmpty()) {
            Map<String, Object> keys = new LinkedHashMap<>();
            List<String> list = instance.sshKeys();
            for (int i = 0; i < list.size(); i++) {
                keys.put(i + "=" + keyName(list.get(i), i), dir("openssh-key", list.get(i)));
            }
            md.put("public-keys", keys);
        }
        if (instance != null && instance.operatingSystem() != null) {
            HardwareMetadata.OperatingSystem os = instance.operatingSystem();
            Map<String, Object> o = new LinkedHashMap<>();
            put(o, "slug", os.osSlug());
            put(o, "distro", os.distro());
            put(o, "version", os.version());
            os.extra().forEach((k, v) -> {
                if (v.isValueNode() && !v.isNull()) {
                    put(o, k.replace('_', '-'), v.asText());
                }
            });
            if (!o.isEmpty()) {
                md.put("operating-system", o);
            }
        }
        return md;
    }

    /**
     * EC2 lists {@code public-keys/} as {@code 0=name}, and a key's directory under its index
     * ({@code public-keys/0/}): the name is looked up in either form.
     */
    static Object child(Map<String, Object> dir, String name) {
        Object v = dir.get(name);
        if (v != null) {
            return v;
        }
        for (Map.Entry<String, Object> e : dir.entrySet()) {
            int eq = e.getKey().indexOf('=');
            if (eq > 0 && e.getKey().substring(0, eq).equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** A directory's listing: one child per line, sub-directories with a trailing slash (EC2 keeps {@code 0=name} bare). */
    static String listing(Map<String, Object> dir) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Object> e : dir.entrySet()) {
            boolean subdir = e.getValue() instanceof Map && !e.getKey().contains("=");
            lines.add(subdir ? e.getKey() + "/" : e.getKey());
        }
        return String.join("\n", lines);
    }

    private static Optional<String> firstAddress(HardwareMetadata.Instance instance, int family, boolean isPublic) {
        if (instance == null) {
            return Optional.empty();
        }
        JsonNode ips = instance.extra().get("ip_addresses");
        if (ips == null || !ips.isArray()) {
            return Optional.empty();
        }
        for (JsonNode ip : ips) {
            if (ip.path("address_family").asInt() == family && ip.path("public").asBoolean() == isPublic
                    && ip.hasNonNull("address")) {
                return Optional.of(ip.get("address").asText());
            }
        }
        return Optional.empty();
    }

    /** The key's comment ({@code user@host}), else {@code key-N}. */
    private static String keyName(String key, int index) {
        String[] parts = key.trim().split("\\s+");
        return parts.length >= 3 ? parts[2].replace('=', '-') : "key-" + index;
    }

    private static Map<String, Object> dir(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name, value);
        return m;
    }

    private static void put(Map<String, Object> m, String name, String value) {
        if (value != null) {
            m.put(name, value);
        }
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
