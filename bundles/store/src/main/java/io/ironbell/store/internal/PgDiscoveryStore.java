package io.ironbell.store.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.discovery.DiscoveredMachine;
import io.ironbell.api.discovery.DiscoveryEvent;
import io.ironbell.api.discovery.DiscoveryStore;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.discovery.Inventory;
import io.ironbell.api.discovery.InventoryChange;
import io.ironbell.api.discovery.MachineInventory;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Inventories ({@code inventory}, and {@code inventory_history} for each report that changed
 * something), discovered machines, enrollment rules (their match and actions as JSON, their count
 * kept by the database so that instances enrolling at once never exceed a rule's maximum) and
 * discovery events.
 */
@Component(service = DiscoveryStore.class)
public final class PgDiscoveryStore implements DiscoveryStore {

    /** Most events one call returns. */
    static final int MAX_EVENTS = 1000;

    private final Database db;

    @Activate
    public PgDiscoveryStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public MachineInventory putInventory(String hardwareId, Inventory inventory) throws StoreException {
        String data = Rows.json(inventory);
        return db.tx(s -> {
            Mappers.DiscoverySql sql = s.getMapper(Mappers.DiscoverySql.class);
            Map<String, Object> r;
            try {
                r = sql.putInventory(hardwareId, data);
            } catch (org.apache.ibatis.exceptions.PersistenceException e) {
                if (e.getCause() instanceof java.sql.SQLException q && "23503".equals(q.getSQLState())) {
                    throw new StoreException(Reason.NOT_FOUND, "no hardware " + hardwareId);
                }
                throw e;
            }
            if (Boolean.TRUE.equals(r.get("changed"))) {
                sql.addHistory(hardwareId, Rows.timestamp(Rows.instant(r, "collected_at")), data);
            }
            return new MachineInventory(hardwareId, inventory, Rows.instant(r, "collected_at"), Rows.instant(r, "changed_at"));
        });
    }

    @Override
    public Optional<MachineInventory> inventory(String hardwareId) throws StoreException {
        Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).inventory(hardwareId));
        return r == null ? Optional.empty() : Optional.of(new MachineInventory(hardwareId, Rows.fromJson(Rows.str(r, "data"), Inventory.class),
                Rows.instant(r, "collected_at"), Rows.instant(r, "changed_at")));
    }

    @Override
    public List<InventoryChange> history(String hardwareId) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).history(hardwareId)).stream()
                .map(r -> new InventoryChange(Rows.instant(r, "at"), Rows.fromJson(Rows.str(r, "data"), Inventory.class))).toList();
    }

    @Override
    public DiscoveredMachine noteDiscovered(String hardwareId, String mac) throws StoreException {
        return db.tx(s -> {
            Mappers.DiscoverySql sql = s.getMapper(Mappers.DiscoverySql.class);
            sql.noteDiscovered(hardwareId, mac);
            return discoveredMachine(sql.discovered(hardwareId));
        });
    }

    @Override
    public Optional<DiscoveredMachine> discovered(String hardwareId) throws StoreException {
        return Optional.ofNullable(discoveredMachine(db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).discovered(hardwareId))));
    }

    @Override
    public List<DiscoveredMachine> discoveredMachines(DiscoveredMachine.State state) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).discoveredMachines(state == null ? null : state.name())).stream()
                .map(PgDiscoveryStore::discoveredMachine).toList();
    }

    @Override
    public Optional<Integer> claimEnrollment(String rule, String hardwareId) throws StoreException {
        // one transaction: the count and the mark go together, or neither
        return db.tx(s -> {
            Mappers.DiscoverySql sql = s.getMapper(Mappers.DiscoverySql.class);
            if (sql.markEnrolled(hardwareId, rule) == 0) {
                return Optional.<Integer>empty();
            }
            Integer n = sql.countEnrollment(rule);
            if (n == null) {
                s.rollback(true);
                return Optional.<Integer>empty();
            }
            return Optional.of(n);
        });
    }

    @Override
    public EnrollmentRule putRule(EnrollmentRule rule) throws StoreException {
        if (rule.name() == null || !rule.name().matches("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?")) {
            throw new StoreException(Reason.INVALID, "name '" + rule.name() + "' is not a name (lowercase letters, digits, '-' and '.')");
        }
        if (rule.maxCount() < 0) {
            throw new StoreException(Reason.INVALID, "maxCount must be 0 (no limit) or more, was " + rule.maxCount());
        }
        ObjectNode spec = Json.mapper().createObjectNode();
        spec.set("match", Json.mapper().valueToTree(rule.match()));
        spec.set("then", Json.mapper().valueToTree(rule.then()));
        return db.tx(s -> {
            Mappers.DiscoverySql sql = s.getMapper(Mappers.DiscoverySql.class);
            sql.putRule(rule.name(), rule.priority(), rule.enabled(), spec.toString(), rule.maxCount());
            return toRule(sql.rule(rule.name()));
        });
    }

    @Override
    public List<EnrollmentRule> rules() throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).rules()).stream().map(PgDiscoveryStore::toRule).toList();
    }

    @Override
    public Optional<EnrollmentRule> rule(String name) throws StoreException {
        return Optional.ofNullable(toRule(db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).rule(name))));
    }

    @Override
    public void deleteRule(String name) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.DiscoverySql.class).deleteRule(name) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no rule " + name);
            }
            return null;
        });
    }

    @Override
    public void addEvent(String hardwareId, String kind, String rule, String message) throws StoreException {
        db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).addEvent(hardwareId, kind, rule, message));
    }

    @Override
    public List<DiscoveryEvent> events(String hardwareId, int limit) throws StoreException {
        int n = Math.max(1, Math.min(limit, MAX_EVENTS));
        return db.tx(s -> s.getMapper(Mappers.DiscoverySql.class).events(hardwareId, n)).stream()
                .map(r -> new DiscoveryEvent(Rows.longValue(r, "id"), Rows.str(r, "hardware_id"), Rows.instant(r, "at"), Rows.str(r, "kind"),
                        Rows.str(r, "rule"), Rows.str(r, "message"))).toList();
    }

    private static DiscoveredMachine discoveredMachine(Map<String, Object> r) {
        return r == null ? null : new DiscoveredMachine(Rows.str(r, "hardware_id"), Rows.str(r, "mac"),
                DiscoveredMachine.State.valueOf(Rows.str(r, "state")), Rows.str(r, "rule"), Rows.instant(r, "discovered_at"),
                Rows.instant(r, "enrolled_at"));
    }

    private static EnrollmentRule toRule(Map<String, Object> r) {
        if (r == null) {
            return null;
        }
        ObjectNode spec = Rows.fromJson(Rows.str(r, "spec"), ObjectNode.class);
        try {
            return new EnrollmentRule(Rows.str(r, "name"), Rows.integer(r, "priority"), (Boolean) r.get("enabled"),
                    Json.mapper().treeToValue(spec.get("match"), EnrollmentRule.Match.class),
                    Json.mapper().treeToValue(spec.get("then"), EnrollmentRule.Then.class), Rows.integer(r, "max_count"),
                    Rows.integer(r, "used"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("rule " + Rows.str(r, "name") + " does not read: " + e.getOriginalMessage(), e);
        }
    }
}
