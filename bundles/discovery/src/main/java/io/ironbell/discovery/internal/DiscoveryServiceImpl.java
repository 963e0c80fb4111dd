package io.ironbell.discovery.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
import io.ironbell.api.dhcp.PoolLease;
import io.ironbell.api.discovery.DiscoveredMachine;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.discovery.DiscoveryStore;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.discovery.Inventory;
import io.ironbell.api.discovery.MachineInventory;
import io.ironbell.api.discovery.RuleDecision;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowRequest;
import io.ironbell.api.workflow.WorkflowService;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery and enrollment. A machine that netboots unknown gets a record (its pool address
 * becomes its reservation, so that it keeps it and everything that knows machines by address
 * knows it); its report is stored; while it is DISCOVERED the rules are tried in order
 * (priority, then most matching patterns, then name), and the first that matches and may still
 * enroll (its maximum, counted in the database) enrolls it: host name, labels, metadata and
 * address on its record, a workflow from a template, a power cycle through its BMC. Every
 * decision is an event.
 */
@Component(service = DiscoveryService.class, configurationPid = DiscoveryServiceImpl.PID)
@Designate(ocd = DiscoveryServiceImpl.Config.class)
public final class DiscoveryServiceImpl implements DiscoveryService {

    static final String PID = "io.ironbell.discovery";

    @ObjectClassDefinition(name = "Ironbell discovery", description = "discovery.* keys")
    public @interface Config {
        @AttributeDefinition(description = "netboot machines no record names, so that they boot the in-memory OS, report what they are, "
                + "and are enrolled by the rules (in reservation mode they need a DHCP pool for an address)")
        boolean enabled() default false;
    }

    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryServiceImpl.class);

    /** The prefix of a discovered machine's record id; its MAC's hex digits follow. */
    static final String ID_PREFIX = "discovered-";

    private final HardwareStore hardware;
    private final HardwareLookup lookup;
    private final DiscoveryStore store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile AddressPools pools;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile WorkflowService workflows;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile BmcService bmc;

    private final boolean enabled;

    @Activate
    public DiscoveryServiceImpl(Config config, @Reference HardwareStore hardware, @Reference HardwareLookup lookup,
            @Reference DiscoveryStore store) {
        this.enabled = config.enabled();
        this.hardware = hardware;
        this.lookup = lookup;
        this.store = store;
        LOG.info("discovery {}", enabled ? "on: machines no record names netboot, report their inventory and meet the rules"
                : "off (discovery.enabled=false): unknown machines are not netbooted");
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    /**
     * A record that names the MAC without an address (the operator typed the MAC only): its pool
     * lease becomes its reservation, as a discovered machine's does, for a worker and the metadata
     * service know a machine by its record's address. Any other record is returned as it is.
     */
    private Hardware adopt(Hardware hw, MacAddress mac, InetAddress address) throws StoreException {
        var nic = hw.interfaceByMac(mac).orElse(null);
        AddressPools p = pools;
        if (nic == null || nic.dhcp() == null || nic.dhcp().ip() != null && nic.dhcp().ip().address() != null
                && !nic.dhcp().ip().address().isBlank() || p == null) {
            return hw;
        }
        String ip = address.getHostAddress();
        Optional<AddressPool> pool = poolOf(ip);
        PoolLease holder = pool.isEmpty() ? null : p.holder(ip).orElse(null);
        if (holder == null || !mac.equals(holder.mac()) || owner(ip).isPresent()) {
            return hw; // not its lease (or another record's address): nothing of it becomes the record's
        }
        ObjectNode tree = Json.mapper().valueToTree(hw);
        withAddress(tree, mac.toString(), new NewAddress(ip, netmask(pool.get().subnet()), pool.get().router(), pool.get().dns(), pool.get()));
        Hardware updated;
        try {
            updated = hardware.push(Json.mapper().treeToValue(tree, Hardware.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        event(hw.id(), "address", null, "address none -> " + ip + " (pool " + pool.get().name() + "): its record named " + mac
                + " without an address, and its lease became its reservation");
        LOG.info("discovery: {} ({}) had no address: its pool lease {} is now its reservation", hw.id(), mac, ip);
        return updated;
    }

    @Override
    public Hardware enlist(MacAddress mac, InetAddress address) throws StoreException {
        Optional<Hardware> known = lookup.byMac(mac);
        if (known.isPresent()) {
            return adopt(known.get(), mac, address);
        }
        if (!enabled) {
            throw new StoreException(Reason.INVALID, "discovery is off (discovery.enabled=false): " + mac + " is not enlisted");
        }
        String id = ID_PREFIX + mac.toString().replace(":", "");
        String ip = address.getHostAddress();
        Optional<AddressPool> pool = poolOf(ip);
        if (pool.isEmpty()) {
            // an address another DHCP server gave (proxy mode) cannot be checked to be this MAC's, and the record
            // would make it the machine's: anyone could claim a MAC from anywhere
            throw new StoreException(Reason.INVALID, ip + " is in no DHCP pool of this server: discovery enlists a machine only from its "
                    + "pool lease (in proxy mode another server gives the addresses, and " + ip + " cannot be checked to be " + mac
                    + "'s): not enlisted");
        }
        // the address must be this MAC's lease: nobody enlists a MAC from somewhere else
        PoolLease holder = pools.holder(ip).orElse(null);
        if (holder == null || !mac.equals(holder.mac())) {
            throw new StoreException(Reason.INVALID, ip + " is not leased to " + mac + " (pool " + pool.get().name() + "): not enlisted");
        }
        ObjectNode dhcp = Json.mapper().createObjectNode().put("mac", mac.toString());
        ObjectNode ipConfig = dhcp.putObject("ip").put("address", ip).put("family", 4);
        if (pool.isPresent()) {
            // the pool's network options, now the machine's own: its lease became a reservation
            ipConfig.put("netmask", netmask(pool.get().subnet()));
            if (pool.get().router() != null) {
                ipConfig.put("gateway", pool.get().router());
            }
            if (!pool.get().dns().isEmpty()) {
                ArrayNode dns = dhcp.putArray("name_servers");
                pool.get().dns().forEach(dns::add);
            }
            dhcp.put("lease_time", pool.get().leaseSeconds());
        }
        ObjectNode record = Json.mapper().createObjectNode().put("id", id);
        ObjectNode nic = record.putObject("network").putArray("interfaces").addObject();
        nic.set("dhcp", dhcp);
        nic.putObject("netboot").put("allow_pxe", true).put("allow_workflow", true);
        record.putObject("labels").put("ironbell.io/discovered", "true");
        Hardware created;
        try {
            created = hardware.push(Json.mapper().treeToValue(record, Hardware.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (StoreException e) {
            if (e.reason() == Reason.CONFLICT) {
                // another instance enlisted it a moment ago
                Optional<Hardware> now = lookup.byMac(mac);
                if (now.isPresent()) {
                    return now.get();
                }
            }
            throw e;
        }
        store.noteDiscovered(id, mac.toString());
        event(id, "discovered", null, "netbooted unknown from " + ip + (pool.isPresent() ? " (pool " + pool.get().name() + ")" : "")
                + ": record " + id + " made; it boots the in-memory OS to report what it is");
        LOG.info("discovery: {} netbooted unknown from {}: record {} made", mac, ip, id);
        return created;
    }

    @Override
    public boolean waiting(String hardwareId) throws StoreException {
        return store.discovered(hardwareId).map(d -> d.state() == DiscoveredMachine.State.DISCOVERED).orElse(false);
    }

    @Override
    public RuleDecision report(String hardwareId, Inventory inventory) throws StoreException {
        MachineInventory stored = store.putInventory(hardwareId, inventory);
        if (stored.changedAt().equals(stored.collectedAt())) {
            event(hardwareId, "inventory", null, summary(inventory));
        }
        Optional<DiscoveredMachine> d = store.discovered(hardwareId);
        if (d.isEmpty() || d.get().state() != DiscoveredMachine.State.DISCOVERED) {
            return null;
        }
        return enroll(hardwareId);
    }

    @Override
    public EnrollmentRule putRule(EnrollmentRule rule) throws StoreException {
        try {
            Rules.check(rule);
        } catch (IllegalArgumentException e) {
            throw new StoreException(Reason.INVALID, e.getMessage());
        }
        return store.putRule(rule);
    }

    @Override
    public Optional<EnrollmentRule> rule(String name) throws StoreException {
        return store.rule(name);
    }

    @Override
    public JsonNode attributes(Inventory inventory) {
        return AgentAttributes.of(inventory);
    }

    @Override
    public RuleDecision test(String rule, String hardwareId) throws StoreException {
        EnrollmentRule r = store.rule(rule).orElseThrow(() -> new StoreException(Reason.NOT_FOUND, "no rule " + rule));
        Rules.Machine m = machine(hardwareId);
        List<String> reasons = mismatches(r, m);
        if (!reasons.isEmpty()) {
            return new RuleDecision(r.name(), hardwareId, false, reasons, null, null, null);
        }
        // a dry run takes no address from a pool: the record shows the static one, or the one it has
        EnrollmentRule.Address a = r.then().address();
        NewAddress fixed = a != null && a.fixed() != null ? new NewAddress(Rules.staticAddress(a, m), a.netmask(), a.gateway(), null, null) : null;
        return new RuleDecision(r.name(), hardwareId, true, List.of(), enrolled(r, m, r.used() + 1, fixed), r.then().template(), null);
    }

    @Override
    public RuleDecision enroll(String hardwareId) throws StoreException {
        Rules.Machine m = machine(hardwareId);
        Optional<DiscoveredMachine> d = store.discovered(hardwareId);
        if (d.isEmpty()) {
            throw new StoreException(Reason.INVALID, "hardware " + hardwareId + " was not discovered: it is enrolled by the operator's hand");
        }
        if (d.get().state() == DiscoveredMachine.State.ENROLLED) {
            throw new StoreException(Reason.CONFLICT, "hardware " + hardwareId + " is enrolled already (rule " + d.get().rule() + ")");
        }
        StringBuilder why = new StringBuilder();
        // the rules that match, in the order they get the machine: priority, then most matching patterns, then name
        List<EnrollmentRule> matching = new java.util.ArrayList<>();
        Map<String, Integer> patterns = new java.util.HashMap<>();
        for (EnrollmentRule r : store.rules()) {
            if (!r.enabled()) {
                continue;
            }
            List<String> reasons = mismatches(r, m);
            if (!reasons.isEmpty()) {
                why.append(why.isEmpty() ? "" : "; ").append(r.name()).append(": ").append(reasons.get(0));
                continue;
            }
            matching.add(r);
            patterns.put(r.name(), Rules.patternMatches(r.match(), m));
        }
        matching.sort(java.util.Comparator.comparingInt(EnrollmentRule::priority)
                .thenComparing(r -> -patterns.get(r.name())).thenComparing(EnrollmentRule::name));
        for (EnrollmentRule r : matching) {
            Optional<Integer> n = store.claimEnrollment(r.name(), hardwareId);
            if (n.isEmpty()) {
                if (store.discovered(hardwareId).map(x -> x.state() == DiscoveredMachine.State.ENROLLED).orElse(false)) {
                    return null; // another instance enrolled it meanwhile
                }
                why.append(why.isEmpty() ? "" : "; ").append(r.name()).append(": matches, but has enrolled its ").append(r.maxCount())
                        .append(" machines");
                continue;
            }
            event(hardwareId, "matched", r.name(), "rule " + r.name() + " (priority " + r.priority() + ") matches; machine " + n.get()
                    + " it enrolls");
            return apply(r, m, n.get());
        }
        event(hardwareId, "unmatched", null, why.isEmpty() ? "no rule: it waits, discovered" : "no rule matches (" + why + "): it waits, discovered");
        return new RuleDecision(null, hardwareId, false, why.isEmpty() ? List.of("no rules") : List.of(why.toString().split("; ")), null, null,
                null);
    }

    /** Enrolls: the record first (a failure there leaves the machine enrolled by the count, and says so), then the workflow, then the BMC. */
    private RuleDecision apply(EnrollmentRule r, Rules.Machine m, int n) throws StoreException {
        Hardware record;
        NewAddress address = null;
        try {
            address = r.then().address() == null ? null : newAddress(r, m);
            record = hardware.push(enrolled(r, m, n, address));
        } catch (StoreException e) {
            if (address != null && address.pool() != null && pools != null) {
                try {
                    AddressPools.await(pools.release(address.pool().name(), MacAddress.parse(m.mac()), address.address()));
                } catch (StoreException ignored) {
                    // its offer runs out by itself
                }
            }
            event(m.hardware().id(), "failed", r.name(), "enrolled by rule " + r.name() + ", but its record was not updated: " + e.getMessage());
            throw e;
        }
        event(record.id(), "enrolled", r.name(), "enrolled by rule " + r.name() + record.hostname().map(h -> " as " + h).orElse(""));
        if (address != null && !address.address().equals(m.address())) {
            // the lease it netbooted with goes back to its pool
            AddressPools p = pools;
            if (m.address() != null && p != null) {
                Optional<PoolLease> old = p.holder(m.address());
                if (old.isPresent() && old.get().mac() != null && old.get().mac().toString().equalsIgnoreCase(m.mac())) {
                    AddressPools.await(p.release(old.get().pool(), old.get().mac(), m.address()));
                }
            }
            event(record.id(), "address", r.name(), "address " + (m.address() == null ? "none" : m.address()) + " -> " + address.address()
                    + (address.pool() != null ? " (pool " + address.pool().name() + ")" : " (static)") + ": the machine takes it "
                    + (Boolean.TRUE.equals(r.then().powerCycle()) ? "when it boots again, now (power cycle)"
                    : "at once if its worker runs now (it renews its lease), else when it next boots"));
        }
        LOG.info("discovery: {} enrolled by rule {}{}", record.id(), r.name(), record.hostname().map(h -> " as " + h).orElse(""));
        String workflow = null;
        if (r.then().template() != null) {
            WorkflowService w = workflows;
            if (w == null) {
                event(record.id(), "failed", r.name(), "no workflow from template " + r.then().template() + ": the engine is not running");
            } else {
                try {
                    Map<String, String> map = new java.util.LinkedHashMap<>();
                    map.put(r.then().agentValue() == null ? "device_1" : r.then().agentValue(), m.mac());
                    if (r.then().values() != null) {
                        map.putAll(r.then().values()); // as Tinkerbell copies its kvs over
                    }
                    Workflow made = w.create(new WorkflowRequest(null, r.then().template(), map, null, null));
                    workflow = made.id();
                    event(record.id(), "workflow", r.name(), "workflow " + made.id() + " from template " + r.then().template());
                } catch (WorkflowException e) {
                    event(record.id(), "failed", r.name(), "no workflow from template " + r.then().template() + ": " + e.getMessage());
                }
            }
        }
        if (Boolean.TRUE.equals(r.then().powerCycle())) {
            powerCycle(r, record);
        }
        return new RuleDecision(r.name(), record.id(), true, List.of(), record, r.then().template(), workflow);
    }

    private void powerCycle(EnrollmentRule r, Hardware record) throws StoreException {
        BmcService b = bmc;
        if (b == null) {
            event(record.id(), "failed", r.name(), "no power cycle: BMC control is not running");
            return;
        }
        try {
            BmcMachine machine = b.machine(record.id());
            BmcJob job = b.createJob(BmcJob.of(null, null, machine.name(), null,
                    List.of(BmcAction.boot(BootDevice.PXE, false, false), BmcAction.power(PowerAction.CYCLE)), 0, 0));
            event(record.id(), "power", r.name(), "BMC job " + job.id() + ": next boot PXE, power cycle");
        } catch (BmcServiceException e) {
            event(record.id(), "failed", r.name(), "no power cycle: " + e.getMessage());
        }
    }

    /** An enrolled machine's new address, with its network's options; {@code pool} when a pool gave it. */
    private record NewAddress(String address, String netmask, String gateway, List<String> dns, AddressPool pool) {
    }

    /** The address the rule gives: from its static map, or a free one of its pool (held for the machine there). */
    private NewAddress newAddress(EnrollmentRule r, Rules.Machine m) throws StoreException {
        EnrollmentRule.Address a = r.then().address();
        if (a.fixed() != null) {
            NewAddress na = new NewAddress(Rules.staticAddress(a, m), a.netmask(), a.gateway(), null, null);
            notAnothersReservation(na.address(), m);
            return na;
        }
        AddressPools p = pools;
        if (p == null) {
            throw new StoreException(Reason.UNAVAILABLE, "then.address.pool: DHCP pools are not running here");
        }
        AddressPool pool = p.pools().stream().filter(x -> x.name().equals(a.pool())).findFirst()
                .orElseThrow(() -> new StoreException(Reason.NOT_FOUND, "then.address.pool: no pool " + a.pool()));
        MacAddress mac = MacAddress.parse(m.mac());
        java.util.Set<String> excluded = new java.util.HashSet<>();
        if (pool.router() != null) {
            excluded.add(pool.router());
        }
        for (int attempt = 0; attempt < 8; attempt++) {
            PoolLease offered = AddressPools.await(p.offer(pool.name(), mac, null, excluded))
                    .orElseThrow(() -> new StoreException(Reason.CONFLICT, "then.address.pool: pool " + a.pool() + " has no free address"));
            Optional<Hardware> owner = owner(offered.address());
            if (owner.isPresent() && !owner.get().id().equals(m.hardware().id())) {
                AddressPools.await(p.release(pool.name(), mac, offered.address())); // a record reserves it: never the pool's to give
                excluded.add(offered.address());
                continue;
            }
            PoolLease bound = AddressPools.await(p.bind(pool.name(), mac, offered.address()))
                    .orElseThrow(() -> new StoreException(Reason.CONFLICT, "then.address.pool: " + offered.address() + " went to another machine"));
            return new NewAddress(bound.address(), netmask(pool.subnet()), pool.router(), pool.dns(), pool);
        }
        throw new StoreException(Reason.CONFLICT, "then.address.pool: pool " + a.pool() + " offered only reserved addresses");
    }

    private void notAnothersReservation(String address, Rules.Machine m) throws StoreException {
        Optional<Hardware> owner = owner(address);
        if (owner.isPresent() && !owner.get().id().equals(m.hardware().id())) {
            throw new StoreException(Reason.CONFLICT, "then.address: " + address + " is hardware " + owner.get().id() + "'s");
        }
    }

    /** The record that reserves an address. */
    private Optional<Hardware> owner(String address) throws StoreException {
        try {
            return lookup.byIp(InetAddress.getByName(address));
        } catch (java.net.UnknownHostException e) {
            throw new StoreException(Reason.INVALID, "then.address: '" + address + "' is not an address");
        }
    }

    /** The record as the rule makes it: host name, labels, metadata and address on top of what it is. */
    /** The record's interface of this MAC at the address, with its network's options. */
    private static void withAddress(ObjectNode tree, String mac, NewAddress address) {
        for (JsonNode nic : tree.path("network").path("interfaces")) {
            if (nic.path("dhcp") instanceof ObjectNode dhcp && mac.equalsIgnoreCase(dhcp.path("mac").asText())) {
                ObjectNode ip = dhcp.get("ip") instanceof ObjectNode o ? o : dhcp.putObject("ip");
                ip.put("address", address.address()).put("family", 4);
                if (address.netmask() != null) {
                    ip.put("netmask", address.netmask());
                }
                if (address.gateway() != null) {
                    ip.put("gateway", address.gateway());
                }
                if (address.dns() != null && !address.dns().isEmpty()) {
                    ArrayNode dns = dhcp.putArray("name_servers");
                    address.dns().forEach(dns::add);
                }
                if (address.pool() != null && !dhcp.hasNonNull("lease_time")) {
                    dhcp.put("lease_time", address.pool().leaseSeconds());
                }
            }
        }
    }

    private Hardware enrolled(EnrollmentRule r, Rules.Machine m, int n, NewAddress address) {
        ObjectNode tree = Json.mapper().valueToTree(m.hardware());
        EnrollmentRule.Then then = r.then();
        if (address != null) {
            withAddress(tree, m.mac(), address);
        }
        if (then.hostname() != null) {
            String name = Rules.hostname(then.hostname(), m, n);
            for (JsonNode nic : tree.path("network").path("interfaces")) {
                if (nic.path("dhcp") instanceof ObjectNode dhcp && m.mac().equalsIgnoreCase(dhcp.path("mac").asText())) {
                    dhcp.put("hostname", name);
                }
            }
            ObjectNode metadata = tree.get("metadata") instanceof ObjectNode o ? o : tree.putObject("metadata");
            ObjectNode instance = metadata.get("instance") instanceof ObjectNode o ? o : metadata.putObject("instance");
            instance.put("hostname", name);
        }
        if (then.metadata() instanceof ObjectNode extra) {
            ObjectNode metadata = tree.get("metadata") instanceof ObjectNode o ? o : tree.putObject("metadata");
            merge(metadata, extra);
        }
        ObjectNode labels = tree.get("labels") instanceof ObjectNode o ? o : tree.putObject("labels");
        labels.remove("ironbell.io/discovered");
        labels.put("ironbell.io/enrolled-by", r.name());
        if (then.labels() != null) {
            then.labels().forEach(labels::put);
        }
        try {
            return Json.mapper().treeToValue(tree, Hardware.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("rule " + r.name() + " made a record that does not read: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code extra} into {@code into}: objects merged key by key, anything else replaced. */
    private static void merge(ObjectNode into, ObjectNode extra) {
        extra.properties().forEach(e -> {
            if (e.getValue() instanceof ObjectNode o && into.get(e.getKey()) instanceof ObjectNode target) {
                merge(target, o);
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        });
    }

    private List<String> mismatches(EnrollmentRule r, Rules.Machine m) throws StoreException {
        List<String> out;
        try {
            out = new java.util.ArrayList<>(Rules.mismatches(r, m));
        } catch (IllegalArgumentException e) {
            throw new StoreException(Reason.INVALID, "rule " + r.name() + ": " + e.getMessage());
        }
        EnrollmentRule.Address a = r.then().address();
        if (out.isEmpty() && a != null && a.fixed() != null) {
            // its static address reserved by another record: the rule cannot enroll it, and says why
            String address = Rules.staticAddress(a, m);
            Optional<Hardware> owner = owner(address);
            if (owner.isPresent() && !owner.get().id().equals(m.hardware().id())) {
                out.add("address: " + address + " is hardware " + owner.get().id() + "'s");
            }
        }
        return out;
    }

    private Rules.Machine machine(String hardwareId) throws StoreException {
        Hardware hw = lookup.find(hardwareId).orElseThrow(() -> new StoreException(Reason.NOT_FOUND, "no hardware " + hardwareId));
        Inventory inv = store.inventory(hw.id()).map(MachineInventory::inventory).orElse(null);
        String mac = store.discovered(hw.id()).map(DiscoveredMachine::mac)
                .orElse(hw.interfaces().stream().map(HardwareInterface::macAddress).filter(x -> x != null).map(MacAddress::toString)
                        .findFirst().orElse(null));
        String address = hw.interfaces().stream().filter(i -> i.dhcp() != null && i.dhcp().ip() != null && i.dhcp().ip().address() != null)
                .map(i -> i.dhcp().ip().address()).findFirst().orElse(null);
        return new Rules.Machine(hw, inv, mac, address);
    }

    private Optional<AddressPool> poolOf(String ip) {
        AddressPools p = pools;
        if (p == null) {
            return Optional.empty();
        }
        try {
            return p.pools().stream().filter(x -> Rules.inSubnet(ip, x.subnet())).findFirst();
        } catch (StoreException e) {
            return Optional.empty();
        }
    }

    private static String netmask(String cidr) {
        int prefix = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return ((mask >> 24) & 255) + "." + ((mask >> 16) & 255) + "." + ((mask >> 8) & 255) + "." + (mask & 255);
    }

    private static String summary(Inventory i) {
        Inventory.System s = i.system();
        return "inventory: " + (s == null ? "unknown system" : s.vendor() + " " + s.product() + (s.serial() == null ? "" : " serial " + s.serial()))
                + ", " + (i.cpu() == null ? "?" : i.cpu().threads()) + " CPUs, "
                + (i.memory() == null || i.memory().totalBytes() == null ? "?" : Sizes.format(i.memory().totalBytes())) + " memory, disks "
                + i.disks().stream().map(d -> d.name() + " " + Sizes.format(d.sizeBytes())).toList() + ", NICs "
                + i.nics().stream().map(Inventory.Nic::mac).toList();
    }

    private void event(String hardwareId, String kind, String rule, String message) {
        try {
            store.addEvent(hardwareId, kind, rule, message);
        } catch (StoreException e) {
            LOG.warn("discovery event not stored ({}: {}): {}", hardwareId, message, e.getMessage());
        }
    }
}
