package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.fleet.MachineSummary;
import io.ironbell.api.fleet.MachineSummary.Stage;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fleet's summaries read from a real PostgreSQL: every stage of the boot flow, and what a change brings back. */
class PgFleetViewTest {

    private TestDatabase t;
    private Database db;
    private PgFleetView fleet;
    private PgWorkflowStore workflows;

    @BeforeEach
    void start() throws Exception {
        t = new TestDatabase();
        db = t.start(Map.of());
        fleet = new PgFleetView(db);
        workflows = new PgWorkflowStore(db);
        PgHardwareStore hardware = new PgHardwareStore(db);
        for (int i = 1; i <= 7; i++) {
            hardware.push(Fixtures.hardware("m" + i, 0x525400000000L + i, Fixtures.ip(i)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        db.deactivate();
        t.close();
    }

    private static String mac(int i) {
        return MacAddress.of(0x525400000000L + i).toString();
    }

    private void sql(String... statements) throws Exception {
        try (Connection c = t.connect(); Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    private Workflow ended(Workflow w, ExecutionState state, String message) throws Exception {
        List<ActionStatus> actions = List.of(
                new ActionStatus("task", "a0", w.actions().get(0).worker(), ExecutionState.SUCCESS, 1, w.createdAt(), Instant.now(), null, null),
                new ActionStatus("task", "a1", w.actions().get(1).worker(), state, 1, w.createdAt(), Instant.now(), message, null));
        return workflows.update(new Workflow(w.id(), w.templateId(), w.templateRevision(), w.hardwareMap(), w.template(), state, actions, 1,
                w.createdAt(), w.createdAt(), w.updatedAt(), w.version()));
    }

    @Test
    void eachMachineStandsAtItsStageOfTheBootFlow() throws Exception {
        // m1: no workflow; m2: waiting; m3: took its address; m4: its in-memory OS is up; m5: an action runs;
        // m6: done; m7: failed. m2 has an older lease, from before its workflow: still waiting.
        sql("INSERT INTO lease (mac, ip, hardware_id, state, last_seen) VALUES ('" + mac(2) + "', '10.0.0.2', 'm2', 'ACK', now() - interval '1 hour')");
        for (int i = 2; i <= 7; i++) {
            workflows.create(PgWorkflowStoreTest.pending(mac(i), 2));
        }
        sql("INSERT INTO lease (mac, ip, hardware_id, state, last_seen) VALUES ('" + mac(3) + "', '10.0.0.3', 'm3', 'ACK', now())",
            "INSERT INTO lease (mac, ip, hardware_id, state, last_seen) VALUES ('" + mac(4) + "', '10.0.0.4', 'm4', 'ACK', now())",
            "INSERT INTO machine_session (boot_nonce, hardware_id, session_sha256, address, expires_at) "
                + "VALUES ('n4', 'm4', '\\x00', '10.0.0.4', now() + interval '1 hour')",
            "INSERT INTO bmc_machine (name, host, hardware_id, power_state) VALUES ('m5-bmc', '10.9.0.5', 'm5', 'ON')",
            "INSERT INTO discovered_machine (hardware_id, mac, state) VALUES ('m6', '" + mac(6) + "', 'ENROLLED')");
        workflows.claimNext(mac(5)).orElseThrow();
        Workflow six = workflows.claimNext(mac(6)).orElseThrow().workflow();
        ended(six, ExecutionState.SUCCESS, null);
        Workflow seven = workflows.claimNext(mac(7)).orElseThrow().workflow();
        ended(seven, ExecutionState.FAILED, "disk too small");

        Map<String, MachineSummary> all = fleet.machines().stream().collect(Collectors.toMap(MachineSummary::hardwareId, Function.identity()));
        assertEquals(7, all.size());
        assertEquals(Stage.IDLE, all.get("m1").stage());
        assertNull(all.get("m1").workflow());
        assertEquals("host-m1", all.get("m1").name());
        assertEquals(mac(1), all.get("m1").mac());
        assertEquals(Fixtures.ip(1), all.get("m1").address());
        assertEquals(Stage.WAITING, all.get("m2").stage(), "a lease from before the workflow is not this rollout's");
        assertEquals(Stage.DHCP, all.get("m3").stage());
        assertTrue(all.get("m3").lastSeen() != null);
        assertEquals(Stage.OS, all.get("m4").stage());
        MachineSummary five = all.get("m5");
        assertEquals(Stage.ACTION, five.stage());
        assertEquals("a0", five.workflow().action());
        assertEquals(ExecutionState.RUNNING, five.workflow().actionState());
        assertEquals("ON", five.power());
        assertEquals(2, five.workflow().actions());
        assertEquals(0, five.workflow().done());
        assertEquals("tpl-1", five.workflow().template(), "a template that is gone is named by its id");
        assertEquals(Stage.DONE, all.get("m6").stage());
        assertEquals(2, all.get("m6").workflow().done());
        assertEquals("ENROLLED", all.get("m6").discovery());
        MachineSummary seven7 = all.get("m7");
        assertEquals(Stage.FAILED, seven7.stage());
        assertEquals("a1", seven7.workflow().action());
        assertEquals("disk too small", seven7.workflow().message());
        assertNull(all.get("m1").power(), "no BMC, no power state");
        assertEquals(all.get("m7"), fleet.machine("m7").orElseThrow(), "one machine reads as the whole list has it");
        assertTrue(fleet.machine("m99").isEmpty());

        // a newer workflow is the machine's current one
        Workflow again = workflows.create(PgWorkflowStoreTest.pending(mac(7), 2));
        assertEquals(again.id(), fleet.machines().stream().filter(m -> m.hardwareId().equals("m7")).findFirst().orElseThrow().workflow().id());
        assertEquals(2, fleet.workflowsOf("m7", 10).size());
        assertEquals(again.id(), fleet.workflowsOf("m7", 10).get(0).id(), "newest first");
        assertEquals(1, fleet.workflowsOf("m7", 1).size());
    }

    @Test
    void aChangeBringsBackOnlyTheMachinesItMayHaveMoved() throws Exception {
        Workflow six = workflows.create(PgWorkflowStoreTest.pending(mac(6), 2));
        Workflow running = workflows.claimNext(mac(6)).orElseThrow().workflow();
        ended(running, ExecutionState.SUCCESS, null);
        Workflow pendingFive = workflows.create(PgWorkflowStoreTest.pending(mac(5), 2));
        Instant since = Instant.now().plusSeconds(1);
        Thread.sleep(1100);
        // nothing happened since: nothing, however many workflows are pending
        assertEquals(Set.of(), ids(fleet.changedSince(since, List.of())));
        // the workflows a notification named bring their machines back
        assertEquals(Set.of("m6"), ids(fleet.changedSince(since, List.of(six.id()))));
        assertEquals(Set.of("m5", "m6"), ids(fleet.changedSince(since, List.of(six.id(), pendingFive.id()))));
        // a DHCP exchange, a BMC's power read, a worker session, a record's change
        sql("INSERT INTO lease (mac, ip, hardware_id, state, last_seen) VALUES ('" + mac(1) + "', '10.0.0.1', 'm1', 'ACK', now())",
            "INSERT INTO bmc_machine (name, host, hardware_id, power_state, power_checked_at) VALUES ('m2-bmc', '10.9.0.2', 'm2', 'OFF', now())",
            "INSERT INTO machine_session (boot_nonce, hardware_id, session_sha256, address, expires_at) "
                + "VALUES ('n3', 'm3', '\\x00', '10.0.0.3', now() + interval '1 hour')",
            "UPDATE hardware SET updated_at = now() WHERE id = 'm4'");
        assertEquals(Set.of("m1", "m2", "m3", "m4"), ids(fleet.changedSince(since, List.of("no-such-workflow"))));
    }

    private static Set<String> ids(List<MachineSummary> machines) {
        return machines.stream().map(MachineSummary::hardwareId).collect(Collectors.toSet());
    }
}
