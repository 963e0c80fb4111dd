package io.ironbell.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.json.Json;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.store.internal.Fixtures;
import io.ironbell.store.internal.StoreFixture;
import io.ironbell.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** The state machine with the real store on a real PostgreSQL. */
class WorkflowEngineTest {

    static final String MAC = "52:54:00:00:00:01";
    static final String OTHER = "52:54:00:00:00:02";

    private StoreFixture store;
    private WorkflowEngine engine;
    private TemplateServiceImpl templates;

    @BeforeEach
    void start() throws Exception {
        store = new StoreFixture();
        store.hardware.push(Fixtures.hardware("hw-1", 0x525400000001L, "10.0.0.1"));
        store.hardware.push(Fixtures.hardware("hw-2", 0x525400000002L, "10.0.0.2"));
        engine = engine(store, 200);
        templates = new TemplateServiceImpl(store.templates);
    }

    static WorkflowEngine engine(StoreFixture s, long sweepMillis) {
        return engine(s, Map.of("sweepMillis", sweepMillis));
    }

    static WorkflowEngine engine(StoreFixture s, Map<String, Object> config) {
        WorkflowEngine e = new WorkflowEngine(s.workflows, s.templates, s.events, s.hardware,
                Converters.standardConverter().convert(config).to(WorkflowEngine.Config.class));
        s.addChangeListener(e);
        return e;
    }

    @AfterEach
    void stop() throws Exception {
        engine.deactivate();
        store.close();
    }

    private void template(String name, String actions) throws Exception {
        templates.create(name, """
                version: "0.1"
                name: %s
                global_timeout: 600
                tasks:
                  - name: install
                    worker: "{{.device_1}}"
                    environment: {DISK: "{{ (index .Hardware.Interfaces 0).DHCP.IfaceName }}"}
                    actions:
                %s
                """.formatted(name, actions.indent(6)));
    }

    private static ActionReport report(WorkerAction a, ExecutionState s, String message) {
        return new ActionReport(a.workflowId(), a.actionIndex(), s, message, null);
    }

    private List<String> eventLines(String id) throws WorkflowException {
        List<String> out = new ArrayList<>();
        for (WorkflowEvent e : engine.events(id, 0, 100)) {
            out.add((e.action() == null ? "workflow" : e.action()) + " " + e.state());
        }
        return out;
    }

    @Test
    void aWorkflowRunsToSuccessWithAnEventForEveryTransition() throws Exception {
        template("two", """
                - {name: stream, image: quay.io/tinkerbell-actions/image2disk:v1.0.0, timeout: 60, environment: {IMG_URL: "http://x/i.gz"}}
                - {name: kexec, image: quay.io/tinkerbell-actions/kexec:v1.0.0, timeout: 30, pid: host}
                """);
        Workflow w = engine.create("two", Map.of("device_1", MAC));
        assertEquals(ExecutionState.PENDING, w.state());
        assertTrue(engine.nextAction(OTHER).isEmpty(), "another machine has nothing to do");

        WorkerAction first = engine.nextAction(MAC).orElseThrow();
        assertEquals("stream", first.name());
        assertEquals(Map.of("DISK", "eth0", "IMG_URL", "http://x/i.gz"), first.environment(), "rendered and merged environment");
        assertEquals(60, first.timeout());
        assertEquals(1, first.attempt());
        assertFalse(first.resumed());
        // the worker restarted and asks again: the same action, marked resumed
        WorkerAction again = engine.nextAction(MAC).orElseThrow();
        assertEquals(first.actionIndex(), again.actionIndex());
        assertTrue(again.resumed());

        engine.report(MAC, new ActionReport(w.id(), 0, ExecutionState.RUNNING, null, new ActionStatus.Progress(50, 100, 10)));
        assertEquals(50, engine.get(w.id()).actions().get(0).progress().done());
        engine.report(MAC, report(first, ExecutionState.SUCCESS, "wrote 100 bytes"));
        // a repeated report changes nothing
        engine.report(MAC, report(first, ExecutionState.SUCCESS, "wrote 100 bytes"));

        WorkerAction kexec = engine.nextAction(MAC).orElseThrow();
        assertEquals("kexec", kexec.name());
        assertEquals("host", kexec.pid());
        // kexec reports success before it jumps: the workflow ends SUCCESS (Tinkerbell's hang there)
        Workflow done = engine.report(MAC, report(kexec, ExecutionState.SUCCESS, "about to kexec"));
        assertEquals(ExecutionState.SUCCESS, done.state());
        assertTrue(engine.nextAction(MAC).isEmpty());
        assertEquals(List.of("workflow PENDING", "stream RUNNING", "stream SUCCESS", "kexec RUNNING", "kexec SUCCESS", "workflow SUCCESS"),
                eventLines(w.id()));
    }

    @Test
    void aMachineCannotFillTheEventLogWithProgressMessages() throws Exception {
        engine.deactivate();
        engine = engine(store, Map.of("sweepMillis", 200, "maxEventsPerWorkflow", 40));
        template("chatty", """
                - {name: chatty, image: i, timeout: 600}
                - {name: last, image: i, timeout: 600}
                """);
        Workflow w = engine.create("chatty", Map.of("device_1", MAC));
        WorkerAction a = engine.nextAction(MAC).orElseThrow();
        for (int i = 0; i < 200; i++) {
            engine.report(MAC, report(a, ExecutionState.RUNNING, "step " + i + " " + "x".repeat(50_000)));
        }
        assertTrue(engine.get(w.id()).actions().get(0).message().startsWith("step 199 "), "the action still shows the latest message");
        engine.report(MAC, report(a, ExecutionState.SUCCESS, "done"));
        WorkerAction last = engine.nextAction(MAC).orElseThrow();
        engine.report(MAC, report(last, ExecutionState.RUNNING, "one more message"));
        engine.report(MAC, report(last, ExecutionState.SUCCESS, "done"));

        List<WorkflowEvent> events = engine.events(w.id(), 0, 1000);
        List<String> lines = eventLines(w.id());
        assertTrue(events.size() <= 40 + 5, "40 events, then the notice and the transitions: " + events.size());
        assertTrue(events.stream().allMatch(e -> e.message() == null || e.message().length() <= 2048), "messages are cut");
        assertEquals(1, events.stream().filter(e -> e.action() == null && e.message().contains("not recorded")).count(),
                "one event says that messages are no longer recorded: " + lines);
        assertEquals(List.of("chatty SUCCESS", "last RUNNING", "last SUCCESS", "workflow SUCCESS"), lines.subList(lines.size() - 4, lines.size()),
                "transitions are always recorded, a progress message past the cap is not");
        assertEquals(ExecutionState.SUCCESS, engine.get(w.id()).state());
    }

    @Test
    void retriesThenFailure() throws Exception {
        template("flaky", "- {name: flaky, image: i, timeout: 60, retries: 2}\n");
        Workflow w = engine.create("flaky", Map.of("device_1", "hw-1"));
        for (int attempt = 1; attempt <= 3; attempt++) {
            WorkerAction a = engine.nextAction(MAC).orElseThrow();
            assertEquals(attempt, a.attempt());
            Workflow after = engine.report(MAC, report(a, ExecutionState.FAILED, "disk busy"));
            assertEquals(attempt < 3 ? ExecutionState.RUNNING : ExecutionState.FAILED, after.state());
        }
        assertTrue(engine.nextAction(MAC).isEmpty());
        List<WorkflowEvent> events = engine.events(w.id(), 0, 100);
        assertTrue(events.stream().anyMatch(e -> "disk busy; retry 1 of 2".equals(e.message())), events.toString());
        assertEquals(ExecutionState.FAILED, events.get(events.size() - 1).state());
        assertTrue(events.get(events.size() - 1).message().contains("after 3 attempts"));
    }

    @Test
    void theServerEndsActionsThatOutliveTheirTimeout() throws Exception {
        template("slow", "- {name: slow, image: i, timeout: 1}\n");
        Workflow w = engine.create("slow", Map.of("device_1", MAC));
        engine.nextAction(MAC).orElseThrow();
        // the worker vanishes: no report comes
        long deadline = System.currentTimeMillis() + 10_000;
        while (engine.get(w.id()).state() != ExecutionState.TIMEOUT) {
            assertTrue(System.currentTimeMillis() < deadline, "the workflow never timed out");
            Thread.sleep(100);
        }
        Workflow ended = engine.get(w.id());
        assertEquals(ExecutionState.TIMEOUT, ended.actions().get(0).state());
        assertTrue(ended.actions().get(0).message().contains("no report within its timeout of 1 s"));
        // a late report cannot revive it
        assertEquals(WorkflowException.Reason.CONFLICT, assertThrows(WorkflowException.class,
                () -> engine.report(MAC, new ActionReport(w.id(), 0, ExecutionState.SUCCESS, "late", null))).reason());
    }

    @Test
    void theGlobalTimeoutEndsTheWorkflow() throws Exception {
        templates.create("global", """
                version: "0.1"
                name: global
                global_timeout: 1
                tasks:
                  - name: t
                    worker: "{{.device_1}}"
                    actions:
                      - {name: long, image: i, timeout: 600}
                      - {name: never, image: i, timeout: 600}
                """);
        Workflow w = engine.create("global", Map.of("device_1", MAC));
        engine.nextAction(MAC).orElseThrow();
        long deadline = System.currentTimeMillis() + 10_000;
        while (engine.get(w.id()).state() != ExecutionState.TIMEOUT) {
            assertTrue(System.currentTimeMillis() < deadline, "the global timeout never fired");
            Thread.sleep(100);
        }
        Workflow ended = engine.get(w.id());
        assertEquals(ExecutionState.TIMEOUT, ended.actions().get(0).state());
        assertEquals(ExecutionState.PENDING, ended.actions().get(1).state(), "the action after it never started");
        List<WorkflowEvent> events = engine.events(w.id(), 0, 100);
        assertEquals("global_timeout of 1 s exceeded", events.get(events.size() - 1).message());
        assertTrue(engine.nextAction(MAC).isEmpty());
    }

    @Test
    void cancelAndForeignReports() throws Exception {
        template("c", "- {name: a, image: i, timeout: 60}\n- {name: b, image: i, timeout: 60}\n");
        Workflow w = engine.create("c", Map.of("device_1", MAC));
        WorkerAction a = engine.nextAction(MAC).orElseThrow();
        assertEquals(WorkflowException.Reason.FORBIDDEN, assertThrows(WorkflowException.class,
                () -> engine.report(OTHER, report(a, ExecutionState.SUCCESS, null))).reason());
        Workflow cancelled = engine.cancel(w.id());
        assertEquals(ExecutionState.CANCELLED, cancelled.state());
        assertEquals(ExecutionState.CANCELLED, cancelled.actions().get(0).state());
        assertEquals(WorkflowException.Reason.CONFLICT, assertThrows(WorkflowException.class, () -> engine.cancel(w.id())).reason());
        assertEquals(WorkflowException.Reason.CONFLICT, assertThrows(WorkflowException.class,
                () -> engine.report(MAC, report(a, ExecutionState.SUCCESS, null))).reason());
        assertTrue(engine.nextAction(MAC).isEmpty());
    }

    @Test
    void concurrentDuplicateReportsAdvanceOnce() throws Exception {
        template("d", "- {name: a, image: i, timeout: 60}\n- {name: b, image: i, timeout: 60}\n");
        Workflow w = engine.create("d", Map.of("device_1", MAC));
        WorkerAction a = engine.nextAction(MAC).orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Workflow>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            results.add(pool.submit(() -> engine.report(MAC, report(a, ExecutionState.SUCCESS, "done"))));
        }
        for (Future<Workflow> f : results) {
            f.get();
        }
        pool.shutdown();
        Workflow after = engine.get(w.id());
        assertEquals(1, after.currentAction());
        assertEquals(1, eventLines(w.id()).stream().filter(l -> l.equals("a SUCCESS")).count(), eventLines(w.id()).toString());
    }

    @Test
    void aServerRestartInTheMiddleLosesNothing() throws Exception {
        template("r", "- {name: a, image: i, timeout: 60}\n- {name: b, image: i, timeout: 60}\n");
        Workflow w = engine.create("r", Map.of("device_1", MAC));
        WorkerAction a = engine.nextAction(MAC).orElseThrow();
        engine.report(MAC, report(a, ExecutionState.SUCCESS, "done"));
        engine.deactivate();
        store = store.restart();
        engine = engine(store, 200);
        WorkerAction b = engine.nextAction(MAC).orElseThrow();
        assertEquals("b", b.name());
        assertEquals(ExecutionState.SUCCESS, engine.report(MAC, report(b, ExecutionState.SUCCESS, "done")).state());
        assertEquals(List.of("workflow PENDING", "a RUNNING", "a SUCCESS", "b RUNNING", "b SUCCESS", "workflow SUCCESS"), eventLines(w.id()));
    }

    @Test
    void creationRefusesUnknownHardwareAndMissingKeys() throws Exception {
        template("t", "- {name: a, image: i}\n");
        WorkflowException e = assertThrows(WorkflowException.class, () -> engine.create("t", Map.of("device_1", "52:54:00:ff:ff:ff")));
        assertEquals(WorkflowException.Reason.INVALID, e.reason());
        assertTrue(e.getMessage().contains("device_1 = '52:54:00:ff:ff:ff' is not a known MAC address, IP address or hardware id"), e.getMessage());
        assertEquals(WorkflowException.Reason.INVALID, assertThrows(WorkflowException.class, () -> engine.create("t", Map.of())).reason());
        assertEquals(WorkflowException.Reason.NOT_FOUND,
                assertThrows(WorkflowException.class, () -> engine.create("nope", Map.of("device_1", MAC))).reason());
        templates.create("needs2", """
                version: "0.1"
                name: needs2
                tasks:
                  - name: a
                    worker: "{{.device_2}}"
                    actions: [{name: a, image: i}]
                """);
        e = assertThrows(WorkflowException.class, () -> engine.create("needs2", Map.of("device_1", MAC)));
        assertTrue(e.getMessage().contains("line 5") && e.getMessage().contains("device_2"), e.getMessage());
    }

    @Test
    void ephemeralDataIsBounded() throws Exception {
        template("e", "- {name: a, image: i}\n");
        Workflow w = engine.create("e", Map.of("device_1", MAC));
        engine.putData(w.id(), Json.mapper().readTree("{\"partitions\": 3}"));
        assertEquals(3, engine.data(w.id()).get("partitions").asInt());
        String big = "{\"x\":\"" + "y".repeat(70_000) + "\"}";
        WorkflowException e = assertThrows(WorkflowException.class, () -> engine.putData(w.id(), Json.mapper().readTree(big)));
        assertTrue(e.getMessage().contains("at most 65536"), e.getMessage());
        assertEquals(3, engine.data(w.id()).get("partitions").asInt(), "the refused write changed nothing");
    }

    @Test
    void subscribersHearEveryEvent() throws Exception {
        template("s", "- {name: a, image: i}\n");
        Workflow w = engine.create("s", Map.of("device_1", MAC));
        List<String> heard = new CopyOnWriteArrayList<>();
        try (AutoCloseable sub = engine.subscribe(w.id(), e -> heard.add((e.action() == null ? "workflow" : e.action()) + " " + e.state()))) {
            WorkerAction a = engine.nextAction(MAC).orElseThrow();
            engine.report(MAC, report(a, ExecutionState.SUCCESS, null));
            Await.until("three events", Duration.ofSeconds(5), () -> heard.size() >= 3 ? true : null);
        }
        assertEquals(List.of("a RUNNING", "a SUCCESS", "workflow SUCCESS"), heard);
    }

    @Test
    void aResyncDeliversWhatNoNotificationAnnounced() throws Exception {
        template("r", "- {name: a, image: i}\n");
        Workflow w = engine.create("r", Map.of("device_1", MAC));
        List<String> heard = new CopyOnWriteArrayList<>();
        try (AutoCloseable sub = engine.subscribe(w.id(), e -> heard.add(e.message()))) {
            // an event whose workflow row did not change announces nothing (as one written while the notification connection was down)
            store.events.append(new WorkflowEvent(0, w.id(), null, null, null, ExecutionState.PENDING, "missed", null));
            engine.changed("hardware", "hw-1");
            assertTrue(heard.isEmpty(), "no notification for this workflow, nothing delivered: " + heard);
            engine.resync();
            Await.until("the missed event after the resync", Duration.ofSeconds(5), () -> heard.contains("missed") ? true : null);
        }
        assertEquals(List.of("missed"), heard);
    }
}
