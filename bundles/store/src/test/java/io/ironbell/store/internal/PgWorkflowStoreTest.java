package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.Task;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.workflow.ActionClaim;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgWorkflowStoreTest {

    private TestDatabase t;
    private Database db;
    private PgWorkflowStore workflows;

    @BeforeEach
    void start() throws Exception {
        t = new TestDatabase();
        db = t.start(Map.of());
        workflows = new PgWorkflowStore(db);
    }

    @AfterEach
    void stop() throws Exception {
        db.deactivate();
        t.close();
    }

    static Workflow pending(String worker, int actions) {
        List<TemplateAction> tas = new ArrayList<>();
        List<ActionStatus> statuses = new ArrayList<>();
        for (int i = 0; i < actions; i++) {
            tas.add(new TemplateAction("a" + i, "quay.io/tinkerbell-actions/image2disk:v1", 60, null, null, Map.of("K", "v"), null, null, null));
            statuses.add(new ActionStatus("task", "a" + i, worker, ExecutionState.PENDING, 0, null, null, null, null));
        }
        Template tpl = new Template("0.1", "t", 600, List.of(new Task("task", worker, null, null, tas, null)), null);
        return new Workflow(null, "tpl-1", 1, Map.of("device_1", worker), tpl, ExecutionState.PENDING, statuses, 0,
                null, null, null, 0);
    }

    @Test
    void createGetAndVersionedUpdate() throws Exception {
        Workflow w = workflows.create(pending("52:54:00:00:00:01", 2));
        assertEquals(1, w.version());
        assertEquals(w, workflows.get(w.id()));
        assertEquals("quay.io/tinkerbell-actions/image2disk:v1", w.template().tasks().get(0).actions().get(0).image());

        Workflow done = new Workflow(w.id(), w.templateId(), w.templateRevision(), w.hardwareMap(), w.template(),
                ExecutionState.FAILED, List.of(w.actions().get(0), new ActionStatus("task", "a1", "52:54:00:00:00:01",
                ExecutionState.FAILED, 1, null, null, "disk too small", new ActionStatus.Progress(10, 100, 5.0))),
                1, w.createdAt(), w.createdAt(), w.updatedAt(), w.version());
        Workflow stored = workflows.update(done);
        assertEquals(2, stored.version());
        assertEquals(ExecutionState.FAILED, stored.state());
        assertEquals("disk too small", stored.actions().get(1).message());
        assertEquals(10, stored.actions().get(1).progress().done());

        // an update made from the old version loses cleanly
        StoreException stale = assertThrows(StoreException.class, () -> workflows.update(done));
        assertEquals(StoreException.Reason.STALE, stale.reason());
        assertEquals(stored, workflows.get(w.id()), "the lost update changed nothing");
    }

    @Test
    void ephemeralDataAndDelete() throws Exception {
        Workflow w = workflows.create(pending("w", 1));
        assertEquals(Json.mapper().createObjectNode(), workflows.data(w.id()));
        JsonNode data = Json.mapper().readTree("{\"disk\":\"/dev/sda\",\"parts\":[1,2]}");
        workflows.putData(w.id(), data);
        assertEquals(data, workflows.data(w.id()));
        new PgEventStore(db).append(new WorkflowEvent(0, w.id(), null, null, null, ExecutionState.PENDING, "created", null));
        workflows.delete(w.id());
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> workflows.get(w.id())).reason());
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> workflows.data(w.id())).reason());
        assertEquals(List.of(), new PgEventStore(db).after(w.id(), 0, 10));
    }

    @Test
    void claimsFollowTheCurrentActionOnly() throws Exception {
        Workflow w = workflows.create(pending("w1", 2));
        assertTrue(workflows.claimNext("someone-else").isEmpty());
        ActionClaim c = workflows.claimNext("w1").orElseThrow();
        assertEquals(0, c.actionIndex());
        assertEquals(ExecutionState.RUNNING, c.workflow().state());
        assertEquals(ExecutionState.RUNNING, c.action().state());
        assertEquals(1, c.action().attempts());
        ActionClaim again = workflows.claimNext("w1").orElseThrow();
        assertTrue(again.resumed(), "action 0 is running: the worker gets it again, marked resumed");
        assertEquals(0, again.actionIndex());
        assertEquals(1, again.action().attempts(), "a resume is not a new attempt");
    }

    @Test
    void concurrentClaimersFromTwoPoolsTakeEachActionOnce() throws Exception {
        int total = 1000;
        Database second = t.start(Map.of());
        PgWorkflowStore other = new PgWorkflowStore(second);
        try {
            List<String> workers = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                String worker = String.format("52:54:00:00:%02x:%02x", i >> 8, i & 0xFF);
                workers.add(worker);
                workflows.create(pending(worker, 1));
            }
            // 16 claimers, 8 on each pool, all walking the same workers in the same order: the most contention
            ExecutorService pool = Executors.newFixedThreadPool(16);
            Set<String> claimed = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> claimers = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int n = 0; n < 16; n++) {
                PgWorkflowStore s = n % 2 == 0 ? workflows : other;
                claimers.add(pool.submit(() -> {
                    go.await();
                    int mine = 0;
                    for (String worker : workers) {
                        Optional<ActionClaim> c = s.claimNext(worker);
                        if (c.isPresent() && !c.get().resumed()) {
                            if (!claimed.add(c.get().workflow().id() + "/" + c.get().actionIndex())) {
                                duplicates.incrementAndGet();
                            }
                            mine++;
                        }
                    }
                    return mine;
                }));
            }
            go.countDown();
            int sum = 0;
            for (Future<Integer> f : claimers) {
                sum += f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("16 claimers on 2 pools: %d fresh claims of %d actions in %.2f s%n", sum, total, seconds);
            assertEquals(0, duplicates.get(), "an action was claimed twice");
            assertEquals(total, sum, "every action was claimed");
            assertEquals(total, claimed.size());
            try (Connection c = t.connect(); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SELECT count(*) FILTER (WHERE state = 'RUNNING' AND attempts = 1), count(*) FROM action_state")) {
                r.next();
                assertEquals(total, r.getInt(1), "each action was started once");
                assertEquals(total, r.getInt(2));
            }
        } finally {
            second.deactivate();
        }
    }

    @Test
    void listingIsNewestFirstAndPaged() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(workflows.create(pending("w" + i, 1)).id());
        }
        List<String> listed = new ArrayList<>();
        String cursor = null;
        do {
            Page<Workflow> p = workflows.list(new PageRequest(cursor, 3));
            p.items().forEach(w -> listed.add(w.id()));
            cursor = p.nextCursor();
        } while (cursor != null);
        java.util.Collections.reverse(ids);
        assertEquals(ids, listed);
    }

    @Test
    void templatesKeepTheirRevisions() throws Exception {
        PgTemplateStore templates = new PgTemplateStore(db);
        TemplateRecord r1 = templates.create("debian", "version: \"0.1\"\nname: debian\n");
        assertEquals(1, r1.revision());
        assertEquals(StoreException.Reason.CONFLICT,
                assertThrows(StoreException.class, () -> templates.create("debian", "x")).reason());
        TemplateRecord r2 = templates.update("debian", "version: \"0.1\"\nname: debian\n# two\n", 1);
        assertEquals(2, r2.revision());
        assertEquals(StoreException.Reason.STALE,
                assertThrows(StoreException.class, () -> templates.update("debian", "lost", 1)).reason());
        assertEquals(r1.data(), templates.get("debian", 1).data());
        assertEquals(r2.data(), templates.get(r1.id()).data());
        assertEquals(List.of("debian"), templates.list(PageRequest.first()).items().stream().map(TemplateRecord::name).toList());
        templates.delete("debian");
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> templates.get("debian")).reason());
    }

    @Test
    void eventsAreOrderedAndPaged() throws Exception {
        Workflow w = workflows.create(pending("w", 1));
        PgEventStore events = new PgEventStore(db);
        long last = 0;
        for (int i = 0; i < 5; i++) {
            WorkflowEvent e = events.append(new WorkflowEvent(0, w.id(), "w", "task", "a0", ExecutionState.RUNNING, "step " + i, null));
            assertTrue(e.sequence() > last);
            last = e.sequence();
        }
        List<WorkflowEvent> firstTwo = events.after(w.id(), 0, 2);
        assertEquals(List.of("step 0", "step 1"), firstTwo.stream().map(WorkflowEvent::message).toList());
        List<WorkflowEvent> rest = events.after(w.id(), firstTwo.get(1).sequence(), 10);
        assertEquals(List.of("step 2", "step 3", "step 4"), rest.stream().map(WorkflowEvent::message).toList());
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> events.append(new WorkflowEvent(0, "no-such", null, null, null, ExecutionState.RUNNING, null, null))).reason());
    }
}
