package io.ironbell.restapi.internal;

import io.ironbell.api.auth.AuditEntry;
import io.ironbell.api.auth.AuditLog;
import io.ironbell.api.store.StoreException;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each change the API made, after it succeeded: who ({@link Auth.Caller}), what, to what.
 * A change the log could not take is logged as an error with everything the entry would have held,
 * so that it is never lost without a trace.
 */
@Component(service = Audit.class)
public final class Audit {

    private static final Logger LOG = LoggerFactory.getLogger(Audit.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile AuditLog log;

    /** Records that {@code caller} did {@code action} (e.g. {@code hardware.push}) to {@code target}. */
    void record(Auth.Caller caller, String action, String target, Map<String, String> detail) {
        try {
            tryRecord(caller, action, target, detail);
        } catch (StoreException e) {
            LOG.error("audit log missed: {} by {} ({}) from {} on {} {}: {}", action, caller.name(), caller.role().id(), caller.address(),
                    target, detail, e.getMessage());
        }
    }

    /** Records an entry, or says why it could not (the database away): for a caller that tries again. */
    void tryRecord(Auth.Caller caller, String action, String target, Map<String, String> detail) throws StoreException {
        AuditLog l = log;
        if (l == null) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "no audit log service");
        }
        l.record(new AuditEntry(0, null, caller.name(), caller.role(), caller.address(), action, target, detail));
    }

    void record(Auth.Caller caller, String action, String target) {
        record(caller, action, target, Map.of());
    }
}
