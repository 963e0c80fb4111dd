package io.ironbell.store.internal;

import io.ironbell.api.fleet.FleetView;
import io.ironbell.api.fleet.MachineSummary;
import io.ironbell.api.fleet.MachineSummary.Stage;
import io.ironbell.api.fleet.MachineSummary.WorkflowSummary;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.ActionStatus.Progress;
import io.ironbell.api.workflow.ExecutionState;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The fleet's summaries in one query ({@link Mappers.FleetSql}); the boot stage is worked out
 * here from the newest workflow and what the machine did after it was made.
 */
@Component(service = FleetView.class)
public final class PgFleetView implements FleetView {

    private final Database db;

    @Activate
    public PgFleetView(@Reference Database db) {
        this.db = db;
    }

    @Override
    public List<MachineSummary> machines() throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.FleetSql.class).all()).stream().map(PgFleetView::machine).toList();
    }

    @Override
    public java.util.Optional<MachineSummary> machine(String hardwareId) throws StoreException {
        Map<String, Object> r = db.tx(s -> s.getMapper(Mappers.FleetSql.class).one(hardwareId));
        return r == null ? java.util.Optional.empty() : java.util.Optional.of(machine(r));
    }

    @Override
    public List<MachineSummary> changedSince(Instant since, Collection<String> workflowIds) throws StoreException {
        String ids = Rows.json(List.copyOf(workflowIds));
        return db.tx(s -> s.getMapper(Mappers.FleetSql.class).changedSince(Rows.timestamp(since), ids)).stream()
                .map(PgFleetView::machine).toList();
    }

    @Override
    public List<WorkflowSummary> workflowsOf(String hardwareId, int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.FleetSql.class).workflowsOf(hardwareId, limit)).stream().map(PgFleetView::workflow).toList();
    }

    private static MachineSummary machine(Map<String, Object> r) {
        WorkflowSummary w = r.get("workflow_id") == null ? null : workflow(r);
        Instant dhcp = Rows.instant(r, "dhcp_at");
        Instant session = Rows.instant(r, "session_at");
        Instant worker = Rows.instant(r, "worker_at");
        Instant lastSeen = latest(dhcp, worker);
        String name = Rows.str(r, "name");
        return new MachineSummary(Rows.str(r, "id"), name == null || name.isBlank() ? Rows.str(r, "id") : name, Rows.str(r, "mac"),
                Rows.str(r, "address"), Rows.str(r, "power_state"), Rows.str(r, "discovery"), lastSeen, stage(w, dhcp, session), w);
    }

    private static WorkflowSummary workflow(Map<String, Object> r) {
        String actionState = Rows.str(r, "action_state");
        return new WorkflowSummary(Rows.str(r, "workflow_id"), Rows.str(r, "template"), ExecutionState.valueOf(Rows.str(r, "workflow_state")),
                Rows.integer(r, "current_action"), Rows.str(r, "action"), actionState == null ? null : ExecutionState.valueOf(actionState),
                Rows.integer(r, "actions"), Rows.integer(r, "done"), Rows.fromJson(Rows.str(r, "progress"), Progress.class),
                Rows.str(r, "message"), Rows.instant(r, "workflow_created"), Rows.instant(r, "workflow_updated"));
    }

    /**
     * Where the machine stands: a workflow that started is at its current action; one still
     * pending is waiting for the machine, which shows itself first by its DHCP exchange, then by
     * its worker's session, both after the workflow was made.
     */
    static Stage stage(WorkflowSummary w, Instant dhcp, Instant session) {
        if (w == null) {
            return Stage.IDLE;
        }
        if (w.state() == ExecutionState.SUCCESS) {
            return Stage.DONE;
        }
        if (w.state().isTerminal()) {
            return Stage.FAILED;
        }
        if (w.state() == ExecutionState.RUNNING) {
            return Stage.ACTION;
        }
        if (session != null && !session.isBefore(w.createdAt())) {
            return Stage.OS;
        }
        if (dhcp != null && !dhcp.isBefore(w.createdAt())) {
            return Stage.DHCP;
        }
        return Stage.WAITING;
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }
}
