package io.ironbell.store.internal;

import io.ironbell.api.auth.AuditEntry;
import io.ironbell.api.auth.AuditLog;
import io.ironbell.api.auth.Role;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The audit log in PostgreSQL, trimmed every hour to storage.audit.retentionDays. */
@Component(service = AuditLog.class)
public final class PgAuditLog implements AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger(PgAuditLog.class);

    private final Database db;
    private final ScheduledExecutorService trimmer;

    @Activate
    public PgAuditLog(@Reference Database db) {
        this.db = db;
        this.trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ironbell-audit-trim");
            t.setDaemon(true);
            return t;
        });
        trimmer.scheduleWithFixedDelay(this::trim, 1, 60, TimeUnit.MINUTES);
    }

    @Deactivate
    void deactivate() {
        trimmer.shutdownNow();
    }

    @Override
    public void record(AuditEntry e) throws StoreException {
        String detail;
        try {
            detail = Json.mapper().writeValueAsString(e.detail());
        } catch (IOException ex) {
            detail = "{}";
        }
        String d = detail;
        db.tx(s -> s.getMapper(Mappers.AuditSql.class).insert(e.actor(), e.role().id(), e.source(), e.action(), e.target(), d));
    }

    @Override
    public List<AuditEntry> after(long afterSequence, int limit) throws StoreException {
        List<AuditEntry> out = new ArrayList<>();
        for (Map<String, Object> r : db.tx(s -> s.getMapper(Mappers.AuditSql.class).after(afterSequence, limit))) {
            Map<String, String> detail = new LinkedHashMap<>();
            try {
                Json.mapper().readTree(Rows.str(r, "detail")).fields().forEachRemaining(f -> detail.put(f.getKey(), f.getValue().asText()));
            } catch (IOException ignored) {
                // stored by record(), always an object
            }
            out.add(new AuditEntry(Rows.longValue(r, "seq"), Rows.instant(r, "at"), Rows.str(r, "actor"), Role.parse(Rows.str(r, "role")),
                    Rows.str(r, "source"), Rows.str(r, "action"), Rows.str(r, "target"), detail));
        }
        return out;
    }

    /** Drops what is older than the retention; a database that is away is trimmed the next hour. */
    int trim() {
        try {
            int days = db.config().audit_retentionDays();
            int n = db.tx(s -> s.getMapper(Mappers.AuditSql.class).trim(days));
            if (n > 0) {
                LOG.info("audit log: {} entries older than {} days dropped", n, days);
            }
            return n;
        } catch (StoreException | RuntimeException e) {
            LOG.debug("audit log not trimmed: {}", e.getMessage());
            return 0;
        }
    }
}
