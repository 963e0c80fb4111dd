package io.ironbell.store.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import io.ironbell.api.template.Template;
import io.ironbell.api.workflow.ActionClaim;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ibatis.session.SqlSession;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Workflows and their action states. Updates carry the version they were read at and fail
 * with STALE when another writer came first; claims lock the workflow row with
 * {@code FOR UPDATE SKIP LOCKED}, so concurrent claimers on any instance never get the same
 * action and never wait for each other.
 */
@Component(service = WorkflowStore.class)
public final class PgWorkflowStore implements WorkflowStore {

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    /** Most rendered templates kept in memory; past it the cache starts over. */
    static final int TEMPLATE_CACHE = 50_000;

    private final Database db;
    // A workflow's rendered template never changes: reading and parsing it once is enough.
    private final Map<String, Template> templates = new ConcurrentHashMap<>();

    @Activate
    public PgWorkflowStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public Workflow create(Workflow workflow) throws StoreException {
        Workflow w = workflow.id() == null || workflow.id().isBlank()
                ? copy(workflow, UUID.randomUUID().toString(), workflow.version()) : workflow;
        return db.tx(s -> {
            WorkflowSqlHelper.insert(s, w);
            return load(s, w.id());
        });
    }

    @Override
    public Workflow get(String id) throws StoreException {
        return db.tx(s -> load(s, id));
    }

    @Override
    public Page<Workflow> list(PageRequest page) throws StoreException {
        return db.tx(s -> {
            Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
            List<Map<String, Object>> rows;
            if (page.cursor() == null) {
                rows = sql.first(page.limit());
            } else {
                int bar = page.cursor().indexOf('|');
                if (bar < 0) {
                    throw new StoreException(Reason.INVALID, "malformed cursor " + page.cursor());
                }
                rows = sql.after(page.cursor().substring(0, bar), page.cursor().substring(bar + 1), page.limit());
            }
            List<Workflow> items = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                items.add(workflow(s, r, sql.actions(Rows.str(r, "id"))));
            }
            String next = null;
            if (items.size() == page.limit()) {
                Workflow last = items.get(items.size() - 1);
                next = last.createdAt() + "|" + last.id();
            }
            return new Page<>(items, next);
        });
    }

    @Override
    public Workflow update(Workflow workflow) throws StoreException {
        return update(workflow, List.of());
    }

    @Override
    public Workflow update(Workflow workflow, List<WorkflowEvent> events) throws StoreException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return db.tx(s -> {
            Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
            if (sql.update(workflow, Rows.timestamp(workflow.startedAt()), Rows.timestamp(now)) == 0) {
                if (sql.get(workflow.id()) == null) {
                    throw new StoreException(Reason.NOT_FOUND, "no workflow " + workflow.id());
                }
                throw new StoreException(Reason.STALE, "workflow " + workflow.id() + " changed since version " + workflow.version());
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < workflow.actions().size(); i++) {
                ActionStatus a = workflow.actions().get(i);
                Map<String, Object> row = new HashMap<>();
                row.put("idx", i);
                row.put("state", a.state().name());
                row.put("attempts", a.attempts());
                row.put("started_at", a.startedAt() == null ? null : a.startedAt().toString());
                row.put("finished_at", a.finishedAt() == null ? null : a.finishedAt().toString());
                row.put("message", a.message());
                row.put("progress", a.progress());
                rows.add(row);
            }
            sql.updateActions(workflow.id(), Rows.json(rows));
            if (!events.isEmpty()) {
                List<Map<String, Object>> eventRows = new ArrayList<>();
                for (WorkflowEvent e : events) {
                    Map<String, Object> row = new HashMap<>();
                    row.put("workflow_id", e.workflowId());
                    row.put("worker", e.worker());
                    row.put("task", e.task());
                    row.put("action", e.action());
                    row.put("state", e.state() == null ? null : e.state().name());
                    row.put("message", e.message());
                    eventRows.add(row);
                }
                s.getMapper(Mappers.EventSql.class).insertAll(Rows.json(eventRows));
            }
            // what was written, at its new version: no need to read it back
            return new Workflow(workflow.id(), workflow.templateId(), workflow.templateRevision(), workflow.hardwareMap(),
                    workflow.template(), workflow.state(), workflow.actions(), workflow.currentAction(), workflow.createdAt(),
                    workflow.startedAt(), now, workflow.version() + 1, workflow.plugins(), workflow.bootOptions());
        });
    }

    @Override
    public List<String> overdue(int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.WorkflowSql.class).overdue(limit));
    }

    @Override
    public Optional<ActionClaim> claimNext(String workerId) throws StoreException {
        return db.tx(s -> {
            Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
            Map<String, Object> due = sql.lockDue(workerId);
            if (due == null) {
                return Optional.empty();
            }
            String id = Rows.str(due, "workflow_id");
            int idx = Rows.integer(due, "idx");
            if (ExecutionState.RUNNING.name().equals(Rows.str(due, "state"))) {
                return Optional.of(new ActionClaim(load(s, id), idx, true));
            }
            if (sql.claim(id, idx) == 0) {
                return Optional.empty();
            }
            return Optional.of(new ActionClaim(load(s, id), idx, false));
        });
    }

    @Override
    public Optional<ExecutionState> state(String id) throws StoreException {
        String state = db.tx(s -> s.getMapper(Mappers.WorkflowSql.class).state(id));
        return Optional.ofNullable(state).map(ExecutionState::valueOf);
    }

    @Override
    public JsonNode data(String id) throws StoreException {
        String text = db.tx(s -> {
            Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
            if (sql.get(id) == null) {
                throw new StoreException(Reason.NOT_FOUND, "no workflow " + id);
            }
            return sql.data(id);
        });
        return Rows.fromJson(text, JsonNode.class);
    }

    @Override
    public void putData(String id, JsonNode data) throws StoreException {
        int n = db.tx(s -> s.getMapper(Mappers.WorkflowSql.class).putData(id, Rows.json(data)));
        if (n == 0) {
            throw new StoreException(Reason.NOT_FOUND, "no workflow " + id);
        }
    }

    @Override
    public void delete(String id) throws StoreException {
        int n = db.tx(s -> s.getMapper(Mappers.WorkflowSql.class).delete(id));
        templates.remove(id);
        if (n == 0) {
            throw new StoreException(Reason.NOT_FOUND, "no workflow " + id);
        }
    }

    private Workflow load(SqlSession s, String id) throws StoreException {
        Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
        Map<String, Object> row = sql.get(id);
        if (row == null) {
            throw new StoreException(Reason.NOT_FOUND, "no workflow " + id);
        }
        return workflow(s, row, sql.actions(id));
    }

    private Template template(SqlSession s, String id) {
        Template t = templates.get(id);
        if (t == null) {
            t = Rows.fromJson(s.getMapper(Mappers.WorkflowSql.class).rendered(id), Template.class);
            if (templates.size() >= TEMPLATE_CACHE) {
                templates.clear();
            }
            templates.put(id, t);
        }
        return t;
    }

    private Workflow workflow(SqlSession s, Map<String, Object> r, List<Map<String, Object>> actionRows) {
        List<ActionStatus> actions = new ArrayList<>();
        for (Map<String, Object> a : actionRows) {
            actions.add(new ActionStatus(Rows.str(a, "task"), Rows.str(a, "name"), Rows.str(a, "worker"),
                    ExecutionState.valueOf(Rows.str(a, "state")), Rows.integer(a, "attempts"), Rows.instant(a, "started_at"),
                    Rows.instant(a, "finished_at"), Rows.str(a, "message"),
                    Rows.fromJson(Rows.str(a, "progress"), ActionStatus.Progress.class)));
        }
        return new Workflow(Rows.str(r, "id"), Rows.str(r, "template_id"), Rows.integer(r, "template_revision"),
                Rows.fromJson(Rows.str(r, "hardware_map"), STRING_MAP), template(s, Rows.str(r, "id")),
                ExecutionState.valueOf(Rows.str(r, "state")), actions, Rows.integer(r, "current_action"),
                Rows.instant(r, "created_at"), Rows.instant(r, "started_at"), Rows.instant(r, "updated_at"),
                Rows.longValue(r, "version"), Rows.fromJson(Rows.str(r, "plugins"), STRING_MAP),
                Rows.str(r, "boot_options") == null ? null : Rows.fromJson(Rows.str(r, "boot_options"), JsonNode.class));
    }

    private static Workflow copy(Workflow w, String id, long version) {
        return new Workflow(id, w.templateId(), w.templateRevision(), w.hardwareMap(), w.template(), w.state(), w.actions(),
                w.currentAction(), w.createdAt(), w.startedAt(), w.updatedAt(), version, w.plugins(), w.bootOptions());
    }

    /** Inserts of a workflow's rows, shared by create and update. */
    private static final class WorkflowSqlHelper {

        static void insert(SqlSession s, Workflow w) throws StoreException {
            if (w.state() == null || w.template() == null) {
                throw new StoreException(Reason.INVALID, "a workflow needs a state and a rendered template");
            }
            s.getMapper(Mappers.WorkflowSql.class).insert(w, Rows.json(w.hardwareMap()), Rows.json(w.template()), Rows.json(w.plugins()),
                    w.bootOptions() == null || w.bootOptions().isNull() ? null : Rows.json(w.bootOptions()));
            insertActions(s, w);
        }

        static void insertActions(SqlSession s, Workflow w) throws StoreException {
            Mappers.WorkflowSql sql = s.getMapper(Mappers.WorkflowSql.class);
            List<ActionStatus> actions = w.actions();
            List<Integer> timeouts = timeouts(w);
            for (int i = 0; i < actions.size(); i++) {
                ActionStatus a = actions.get(i);
                if (a.worker() == null || a.state() == null || a.task() == null || a.name() == null) {
                    throw new StoreException(Reason.INVALID, "actions[" + i + "] needs a task, a name, a worker and a state");
                }
                sql.insertAction(w.id(), i, a, Rows.timestamp(a.startedAt()), Rows.timestamp(a.finishedAt()), Rows.json(a.progress()),
                        i < timeouts.size() ? timeouts.get(i) : null);
            }
        }

        /** Each action's timeout, in the order of {@link Workflow#actions()}: the template's actions, task by task. */
        private static List<Integer> timeouts(Workflow w) {
            List<Integer> out = new ArrayList<>();
            if (w.template().tasks() != null) {
                for (io.ironbell.api.template.Task t : w.template().tasks()) {
                    if (t.actions() != null) {
                        t.actions().forEach(a -> out.add(a.timeout()));
                    }
                }
            }
            return out;
        }
    }
}
