package io.ironbell.store.internal;

import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import io.ironbell.api.workflow.EventStore;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkflowEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The append-only event log; the database's sequence orders it. */
@Component(service = EventStore.class)
public final class PgEventStore implements EventStore {

    private final Database db;

    @Activate
    public PgEventStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public WorkflowEvent append(WorkflowEvent e) throws StoreException {
        if (e.workflowId() == null || e.state() == null) {
            throw new StoreException(Reason.INVALID, "an event needs a workflow id and a state");
        }
        try {
            Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.EventSql.class).insert(e));
            return new WorkflowEvent(Rows.longValue(r, "seq"), e.workflowId(), e.worker(), e.task(), e.action(), e.state(),
                    e.message(), Rows.instant(r, "at"));
        } catch (StoreException x) {
            if (x.reason() == Reason.INVALID) {
                throw new StoreException(Reason.NOT_FOUND, "no workflow " + e.workflowId(), x);
            }
            throw x;
        }
    }

    @Override
    public List<WorkflowEvent> after(String workflowId, long afterSequence, int limit) throws StoreException {
        List<Map<String, Object>> rows = db.tx(s -> s.getMapper(Mappers.EventSql.class).after(workflowId, afterSequence, limit));
        List<WorkflowEvent> out = new ArrayList<>(rows.size());
        for (Map<String, Object> r : rows) {
            out.add(new WorkflowEvent(Rows.longValue(r, "seq"), Rows.str(r, "workflow_id"), Rows.str(r, "worker"),
                    Rows.str(r, "task"), Rows.str(r, "action"), ExecutionState.valueOf(Rows.str(r, "state")),
                    Rows.str(r, "message"), Rows.instant(r, "at")));
        }
        return out;
    }
}
