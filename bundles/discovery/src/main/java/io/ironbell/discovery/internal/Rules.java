package io.ironbell.discovery.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.discovery.Inventory;
import io.ironbell.api.hardware.Hardware;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a rule's match holds for a machine, condition by condition, each failing one said in a
 * line (what the rule wants, what the machine is), and the host name a rule's pattern gives.
 */
final class Rules {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(mac|serial|vendor|product|n)(?::(0\\d+))?}");

    private Rules() {
    }

    /** What a machine is to the rules: its record, what it reported, the MAC it netbooted from and its address. */
    record Machine(Hardware hardware, Inventory inventory, String mac, String address) {
    }

    /**
     * Every condition of the match that fails for the machine; empty when it matches.
     *
     * @throws IllegalArgumentException when the rule itself does not read (a size, the subnet)
     */
    static List<String> mismatches(EnrollmentRule.Match m, Machine machine) {
        List<String> out = new ArrayList<>();
        Inventory inv = machine.inventory();
        Inventory.System sys = inv == null ? null : inv.system();
        if (m.vendor() != null && !glob(m.vendor(), sys == null ? null : sys.vendor())) {
            out.add("vendor: wants " + m.vendor() + ", is " + (sys == null ? "unknown" : sys.vendor()));
        }
        if (m.product() != null && !glob(m.product(), sys == null ? null : sys.product())) {
            out.add("product: wants " + m.product() + ", is " + (sys == null ? "unknown" : sys.product()));
        }
        Integer cpus = inv == null || inv.cpu() == null ? null : inv.cpu().threads();
        if (m.minCpus() != null && (cpus == null || cpus < m.minCpus())) {
            out.add("cpus: wants at least " + m.minCpus() + ", has " + (cpus == null ? "unknown" : cpus));
        }
        if (m.maxCpus() != null && (cpus == null || cpus > m.maxCpus())) {
            out.add("cpus: wants at most " + m.maxCpus() + ", has " + (cpus == null ? "unknown" : cpus));
        }
        Long memory = inv == null || inv.memory() == null ? null : inv.memory().totalBytes();
        if (m.minMemory() != null && (memory == null || memory < Sizes.parse(m.minMemory()))) {
            out.add("memory: wants at least " + m.minMemory() + ", has " + (memory == null ? "unknown" : Sizes.format(memory)));
        }
        if (m.maxMemory() != null && (memory == null || memory > Sizes.parse(m.maxMemory()))) {
            out.add("memory: wants at most " + m.maxMemory() + ", has " + (memory == null ? "unknown" : Sizes.format(memory)));
        }
        if (m.disk() != null) {
            EnrollmentRule.DiskMatch d = m.disk();
            long min = d.minSize() == null ? 0 : Sizes.parse(d.minSize());
            long max = d.maxSize() == null ? Long.MAX_VALUE : Sizes.parse(d.maxSize());
            int want = d.count() == null ? 1 : d.count();
            List<Inventory.Disk> disks = inv == null ? List.of() : inv.disks();
            long fit = disks.stream().filter(x -> x.sizeBytes() >= min && x.sizeBytes() <= max)
                    .filter(x -> d.rotational() == null || d.rotational().equals(x.rotational())).count();
            if (fit < want) {
                out.add("disks: wants " + want + " " + describe(d) + ", has " + fit + " of "
                        + disks.stream().map(x -> x.name() + " " + Sizes.format(x.sizeBytes()) + (Boolean.FALSE.equals(x.rotational()) ? " ssd" : ""))
                        .toList());
            }
        }
        if (m.macPrefixes() != null && !m.macPrefixes().isEmpty()) {
            String mac = machine.mac() == null ? "" : machine.mac().toLowerCase(Locale.ROOT);
            if (m.macPrefixes().stream().noneMatch(p -> mac.startsWith(p.toLowerCase(Locale.ROOT)))) {
                out.add("mac: wants a prefix of " + m.macPrefixes() + ", is " + machine.mac());
            }
        }
        if (m.subnet() != null && (machine.address() == null || !inSubnet(machine.address(), m.subnet()))) {
            out.add("subnet: wants " + m.subnet() + ", address is " + (machine.address() == null ? "unknown" : machine.address()));
        }
        labelMismatches(m, machine, out);
        if (m.patterns() != null && !m.patterns().isEmpty() && patternMatches(m, machine) == 0) {
            out.add("patterns: none of " + m.patterns().size() + " matches its attributes (ironbell hardware inventory "
                    + (machine.hardware() == null ? "MACHINE" : machine.hardware().id()) + " --attributes)");
        }
        return out;
    }

    /** Every condition of the rule that fails for the machine: its match's, and a static address map with no entry for it. */
    static List<String> mismatches(EnrollmentRule r, Machine machine) {
        List<String> out = mismatches(r.match(), machine);
        EnrollmentRule.Address a = r.then().address();
        if (a != null && a.fixed() != null && staticAddress(a, machine) == null) {
            Inventory.System sys = machine.inventory() == null ? null : machine.inventory().system();
            out.add("address: the static map has no entry for its MAC " + machine.mac() + " or serial "
                    + (sys == null || sys.serial() == null ? "(none)" : sys.serial()));
        }
        return out;
    }

    /** The machine's address in a static map: by its MAC (any case), else by its serial number. */
    static String staticAddress(EnrollmentRule.Address a, Machine machine) {
        for (Map.Entry<String, String> e : a.fixed().entrySet()) {
            if (machine.mac() != null && e.getKey().equalsIgnoreCase(machine.mac())) {
                return e.getValue();
            }
        }
        Inventory.System sys = machine.inventory() == null ? null : machine.inventory().system();
        return sys == null || sys.serial() == null ? null : a.fixed().get(sys.serial());
    }

    private static void labelMismatches(EnrollmentRule.Match m, Machine machine, List<String> out) {
        if (m.labels() != null) {
            Map<String, String> have = labels(machine.hardware());
            for (Map.Entry<String, String> e : m.labels().entrySet()) {
                if (!e.getValue().equals(have.get(e.getKey()))) {
                    out.add("label " + e.getKey() + ": wants " + e.getValue() + ", is " + (have.containsKey(e.getKey()) ? have.get(e.getKey()) : "absent"));
                }
            }
        }
    }

    /** How many of the match's Quamina patterns hold for the machine's attributes: Tinkerbell picks the rule set with most. */
    static int patternMatches(EnrollmentRule.Match m, Machine machine) {
        if (m.patterns() == null || m.patterns().isEmpty()) {
            return 0;
        }
        JsonNode attributes = AgentAttributes.of(machine.inventory());
        int n = 0;
        for (String p : m.patterns()) {
            if (Quamina.compile(p).matches(attributes)) {
                n++;
            }
        }
        return n;
    }

    /** Checks every size, the subnet, the patterns and the hostname pattern of a rule. */
    static void check(EnrollmentRule r) {
        EnrollmentRule.Match m = r.match();
        if (m.patterns() != null) {
            for (int i = 0; i < m.patterns().size(); i++) {
                try {
                    Quamina.compile(m.patterns().get(i));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("match.patterns[" + i + "]: " + e.getMessage());
                }
            }
        }
        EnrollmentRule.Address a = r.then().address();
        if (a != null) {
            if ((a.pool() == null) == (a.fixed() == null)) {
                throw new IllegalArgumentException("then.address: either pool (a pool's name) or static (serial or MAC to address)");
            }
            if (a.fixed() != null) {
                for (Map.Entry<String, String> e : a.fixed().entrySet()) {
                    address("then.address.static." + e.getKey(), e.getValue());
                }
            }
            if (a.netmask() != null) {
                address("then.address.netmask", a.netmask());
            }
            if (a.gateway() != null) {
                address("then.address.gateway", a.gateway());
            }
        }
        String key = r.then().agentValue();
        if (key != null && !key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("then.agentValue: '" + key + "' is not a template key (letters, digits, '_')");
        }
        check("match.minMemory", m.minMemory());
        check("match.maxMemory", m.maxMemory());
        if (m.disk() != null) {
            check("match.disk.minSize", m.disk().minSize());
            check("match.disk.maxSize", m.disk().maxSize());
        }
        if (m.subnet() != null) {
            try {
                inSubnet("0.0.0.0", m.subnet());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("match.subnet: " + e.getMessage());
            }
        }
        if (m.macPrefixes() != null) {
            for (String p : m.macPrefixes()) {
                if (!p.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){0,5}:?")) {
                    throw new IllegalArgumentException("match.macPrefixes: '" + p + "' is not the start of a MAC (52:54:00)");
                }
            }
        }
        String h = r.then().hostname();
        if (h != null) {
            String rest = PLACEHOLDER.matcher(h).replaceAll("x");
            if (rest.contains("{") || rest.contains("}")) {
                throw new IllegalArgumentException("then.hostname: '" + h + "' has a placeholder other than {mac}, {serial}, {vendor}, {product}, "
                        + "{n} or {n:0W}");
            }
        }
    }

    private static void check(String field, String size) {
        if (size != null) {
            try {
                Sizes.parse(size);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": " + e.getMessage());
            }
        }
    }

    /** The host name a pattern gives: placeholders filled, then only letters, digits and '-' (lower case). */
    static String hostname(String pattern, Machine machine, int n) {
        Inventory.System sys = machine.inventory() == null ? null : machine.inventory().system();
        Matcher m = PLACEHOLDER.matcher(pattern);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = switch (m.group(1)) {
                case "mac" -> machine.mac() == null ? "" : machine.mac().replace(":", "");
                case "serial" -> sys == null || sys.serial() == null ? "" : sys.serial();
                case "vendor" -> sys == null || sys.vendor() == null ? "" : sys.vendor();
                case "product" -> sys == null || sys.product() == null ? "" : sys.product();
                default -> m.group(2) == null ? String.valueOf(n) : String.format("%" + m.group(2) + "d", n);
            };
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        String name = b.toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]+", "-").replaceAll("-{2,}", "-")
                .replaceAll("^[-.]+|[-.]+$", "");
        return name.length() > 63 ? name.substring(0, 63).replaceAll("[-.]+$", "") : name;
    }

    /** The record's labels (a top-level {@code labels} object of text values). */
    static Map<String, String> labels(Hardware hw) {
        Map<String, String> out = new java.util.TreeMap<>();
        JsonNode l = hw == null ? null : hw.extra().get("labels");
        if (l != null && l.isObject()) {
            l.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    private static String describe(EnrollmentRule.DiskMatch d) {
        List<String> parts = new ArrayList<>();
        if (d.minSize() != null) {
            parts.add(">= " + d.minSize());
        }
        if (d.maxSize() != null) {
            parts.add("<= " + d.maxSize());
        }
        if (d.rotational() != null) {
            parts.add(d.rotational() ? "rotational" : "non-rotational");
        }
        return "disk(s)" + (parts.isEmpty() ? "" : " " + String.join(", ", parts));
    }

    /** Case-insensitive, {@code *} for any run of characters. */
    static boolean glob(String pattern, String value) {
        if (value == null) {
            return false;
        }
        StringBuilder re = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (!re.isEmpty()) {
                re.append(".*");
            }
            re.append(Pattern.quote(part));
        }
        return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL).matcher(value.trim()).matches();
    }

    static boolean inSubnet(String address, String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0 || !cidr.substring(slash + 1).matches("\\d{1,2}")) {
            throw new IllegalArgumentException("'" + cidr + "' is not a CIDR block (10.0.8.0/24)");
        }
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        byte[] net = v4(cidr.substring(0, slash), cidr);
        byte[] a = v4(address, address);
        if (prefix > 32) {
            throw new IllegalArgumentException("'" + cidr + "' is not a CIDR block (10.0.8.0/24)");
        }
        BigInteger mask = prefix == 0 ? BigInteger.ZERO : BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE.shiftLeft(32 - prefix));
        return new BigInteger(1, net).and(mask).equals(new BigInteger(1, a).and(mask));
    }

    private static void address(String field, String value) {
        try {
            v4(value == null ? "" : value, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": '" + value + "' is not an IPv4 address");
        }
    }

    private static byte[] v4(String text, String whole) {
        if (!text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("'" + whole + "' is not an IPv4 address or block");
        }
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + whole + "' is not an IPv4 address or block");
        }
    }
}
