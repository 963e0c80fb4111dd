package io.ironbell.store.internal;

import io.ironbell.api.hardware.Lease;
import io.ironbell.api.hardware.LeaseStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.store.StoreException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The last DHCP exchange of each MAC address. */
@Component(service = LeaseStore.class)
public final class PgLeaseStore implements LeaseStore {

    private final Database db;

    @Activate
    public PgLeaseStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public void record(Lease l) throws StoreException {
        db.tx(s -> s.getMapper(Mappers.LeaseSql.class).upsert(l.mac().toString(), l.ip(), l.hardwareId(), l.state().name(),
                Rows.timestamp(l.expiresAt()), Rows.timestamp(l.lastSeen()), l.client()));
    }

    @Override
    public void recordAll(Collection<Lease> leases) throws StoreException {
        if (leases.isEmpty()) {
            return;
        }
        db.tx(s -> {
            Mappers.LeaseSql sql = s.getMapper(Mappers.LeaseSql.class);
            for (Lease l : leases) {
                sql.upsert(l.mac().toString(), l.ip(), l.hardwareId(), l.state().name(), Rows.timestamp(l.expiresAt()),
                        Rows.timestamp(l.lastSeen()), l.client());
            }
            return null;
        });
    }

    @Override
    public Optional<Lease> get(MacAddress mac) throws StoreException {
        Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.LeaseSql.class).get(mac.toString()));
        if (r == null) {
            return Optional.empty();
        }
        return Optional.of(new Lease(MacAddress.parse(Rows.str(r, "mac")), Rows.str(r, "ip"), Rows.str(r, "hardware_id"),
                Lease.State.valueOf(Rows.str(r, "state")), Rows.instant(r, "expires_at"), Rows.instant(r, "last_seen"),
                Rows.str(r, "client")));
    }
}
