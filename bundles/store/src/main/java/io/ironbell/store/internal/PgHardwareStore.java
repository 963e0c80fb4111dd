package io.ironbell.store.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hardware in PostgreSQL, and the in-memory index that answers lookups. A write updates the
 * index as soon as it commits; writes by other instances arrive as notifications.
 */
@Component(service = {HardwareStore.class, HardwareLookup.class, MetricSet.class})
public final class PgHardwareStore implements HardwareStore, HardwareLookup, MetricSet, ChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(PgHardwareStore.class);

    private static final String UNCOMMITTED = "hardware";

    private final Database db;
    private final HardwareIndex index = new HardwareIndex();
    private final LongAdder lookups = new LongAdder();
    private final LongAdder reloads = new LongAdder();

    @Activate
    public PgHardwareStore(@Reference Database db) {
        this.db = db;
        db.addListener(this);
        if (db.isReady()) {
            resync();
        }
    }

    @Deactivate
    void deactivate() {
        db.removeListener(this);
    }

    @Override
    public Hardware push(Hardware hardware) throws StoreException {
        Hardware hw = hardware.id() == null || hardware.id().isBlank() ? hardware.withId(UUID.randomUUID().toString()) : hardware;
        List<String[]> keys = validate(hw);
        try {
            db.tx(s -> {
                Mappers.HardwareSql sql = s.getMapper(Mappers.HardwareSql.class);
                sql.upsert(hw.id(), Rows.json(hw));
                sql.clearInterfaces(hw.id());
                for (String[] k : keys) {
                    sql.addInterface(hw.id(), k[0], k[1]);
                }
                // a record written by other means than apply is no longer its applied object's
                if (s.getMapper(Mappers.ManifestSql.class).delete("Hardware", hw.id()) > 0) {
                    db.afterCommit(() -> db.changedHere("manifest", "Hardware/" + hw.id()));
                }
                db.uncommitted(UNCOMMITTED).put(hw.id(), hw);
                db.afterCommit(() -> index.put(hw));
                return null;
            });
        } catch (StoreException e) {
            throw e.reason() == Reason.CONFLICT ? conflict(hw, keys, e) : e;
        }
        return hw;
    }

    /** Checks what PostgreSQL would refuse less clearly; returns each interface's (mac, ip). */
    private static List<String[]> validate(Hardware hw) throws StoreException {
        List<String[]> keys = new ArrayList<>();
        Set<MacAddress> macs = new HashSet<>();
        List<HardwareInterface> interfaces = hw.interfaces();
        for (int n = 0; n < interfaces.size(); n++) {
            HardwareInterface i = interfaces.get(n);
            String field = "network.interfaces[" + n + "].dhcp";
            if (i.dhcp() == null || i.dhcp().mac() == null) {
                throw new StoreException(Reason.INVALID, field + ".mac is required");
            }
            MacAddress mac;
            try {
                mac = MacAddress.parse(i.dhcp().mac());
            } catch (IllegalArgumentException e) {
                throw new StoreException(Reason.INVALID, field + ".mac: " + e.getMessage());
            }
            if (!macs.add(mac)) {
                throw new StoreException(Reason.INVALID, field + ".mac " + mac + " appears twice in this record");
            }
            String ip = null;
            if (i.dhcp().ip() != null && i.dhcp().ip().address() != null && !i.dhcp().ip().address().isBlank()) {
                InetAddress a = HardwareIndex.ip(i);
                if (a == null) {
                    throw new StoreException(Reason.INVALID, field + ".ip.address is not an IP address: '"
                            + i.dhcp().ip().address() + "'");
                }
                ip = a.getHostAddress();
            }
            keys.add(new String[] {mac.toString(), ip});
        }
        return keys;
    }

    /** Names the record that already has the MAC or IP. */
    private StoreException conflict(Hardware hw, List<String[]> keys, StoreException cause) {
        try {
            return db.tx(s -> {
                Mappers.HardwareSql sql = s.getMapper(Mappers.HardwareSql.class);
                for (String[] k : keys) {
                    String owner = sql.ownerOfMac(k[0]);
                    if (owner != null && !owner.equals(hw.id())) {
                        return new StoreException(Reason.CONFLICT, "MAC address " + k[0] + " is already registered to hardware " + owner, cause);
                    }
                    owner = k[1] == null ? null : sql.ownerOfIp(k[1]);
                    if (owner != null && !owner.equals(hw.id())) {
                        return new StoreException(Reason.CONFLICT, "IP address " + k[1] + " is already registered to hardware " + owner, cause);
                    }
                }
                return cause;
            });
        } catch (StoreException e) {
            return cause;
        }
    }

    @Override
    public Hardware get(String id) throws StoreException {
        String data = db.tx(s -> s.getMapper(Mappers.HardwareSql.class).get(id));
        if (data == null) {
            throw new StoreException(Reason.NOT_FOUND, "no hardware with id " + id);
        }
        return Rows.fromJson(data, Hardware.class);
    }

    @Override
    public Page<Hardware> list(PageRequest page) throws StoreException {
        List<String> rows = db.tx(s -> s.getMapper(Mappers.HardwareSql.class).page(page.cursor() == null ? "" : page.cursor(), page.limit()));
        List<Hardware> items = new ArrayList<>(rows.size());
        for (String r : rows) {
            items.add(Rows.fromJson(r, Hardware.class));
        }
        String next = items.size() == page.limit() ? items.get(items.size() - 1).id() : null;
        return new Page<>(items, next);
    }

    @Override
    public void delete(String id) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.HardwareSql.class).delete(id) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no hardware with id " + id);
            }
            db.uncommitted(UNCOMMITTED).put(id, null);
            db.afterCommit(() -> index.remove(id));
            // its applied object went with it (ON DELETE CASCADE)
            db.afterCommit(() -> db.changedHere("manifest", "Hardware/" + id));
            return null;
        });
    }

    @Override
    public Optional<Hardware> byMac(MacAddress mac) {
        lookups.increment();
        return mine(h -> h.interfaceByMac(mac).isPresent()).orElseGet(() -> index.byMac(mac));
    }

    @Override
    public Optional<Hardware> byIp(InetAddress address) {
        lookups.increment();
        return mine(h -> h.interfaces().stream().anyMatch(i -> address.equals(HardwareIndex.ip(i)))).orElseGet(() -> index.byIp(address));
    }

    @Override
    public Optional<Hardware> byId(String id) {
        lookups.increment();
        return mine(h -> h.id().equals(id)).orElseGet(() -> index.byId(id));
    }

    /**
     * What this thread's open transaction wrote that matches, so that it sees its own writes
     * before they commit; empty when it wrote none (the index answers).
     */
    private Optional<Optional<Hardware>> mine(java.util.function.Predicate<Hardware> matches) {
        if (!db.inTransaction()) {
            return Optional.empty();
        }
        for (Map.Entry<String, Object> e : db.uncommitted(UNCOMMITTED).entrySet()) {
            Hardware h = (Hardware) e.getValue();
            if (h != null && matches.test(h)) {
                return Optional.of(Optional.of(h));
            }
        }
        return Optional.empty();
    }

    @Override
    public void changed(String table, String id) {
        if (!table.equals("hardware")) {
            return;
        }
        try {
            String data = db.tx(s -> s.getMapper(Mappers.HardwareSql.class).get(id));
            if (data == null) {
                index.remove(id);
            } else {
                index.put(Rows.fromJson(data, Hardware.class));
            }
        } catch (StoreException e) {
            // The listener will reconnect and resync everything.
            LOG.warn("cannot refresh hardware {}: {}", id, e.getMessage());
        }
    }

    /** Reloads the index whole; one reload at a time (the listener's and a restore's may meet). */
    @Override
    public synchronized void resync() {
        index.beginReload();
        try {
            long t0 = System.nanoTime();
            List<String> all = db.tx(s -> s.getMapper(Mappers.HardwareSql.class).all());
            List<Hardware> records = new ArrayList<>(all.size());
            for (String r : all) {
                records.add(Rows.fromJson(r, Hardware.class));
            }
            index.replaceAll(records);
            reloads.increment();
            LOG.info("hardware index loaded: {} records in {} ms", records.size(), (System.nanoTime() - t0) / 1_000_000);
        } catch (StoreException | RuntimeException e) {
            index.abandonReload();
            LOG.warn("cannot load the hardware index: {}", e.getMessage());
        }
    }

    @Override
    public void collect(MetricWriter w) {
        w.gauge("ironbell_hardware_records", "hardware records in the in-memory index", index.size());
        w.counter("ironbell_hardware_lookups_total", "hardware lookups answered from memory", lookups.sum());
        w.counter("ironbell_hardware_index_reloads_total", "full reloads of the hardware index", reloads.sum());
    }
}
