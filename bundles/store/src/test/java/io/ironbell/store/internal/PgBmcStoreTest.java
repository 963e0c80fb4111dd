package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcJobEvent;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcTask;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.api.store.StoreException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** BMC machines and jobs on a real PostgreSQL: claims that two instances share, leases, events. */
class PgBmcStoreTest {

    private static BmcMachine machine(String name) {
        return BmcMachine.spec(name, "tink", "10.0.0." + (name.hashCode() & 0x7f), 623, "ipmi", name + "-auth", false, null,
                Map.of("cipherSuite", "3"), null);
    }

    @Test
    void machinesKeepTheirPowerStatusWhenTheirSpecificationIsReplaced() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            PgBmcStore store = new PgBmcStore(t.start(Map.of()));
            BmcMachine m = store.putMachine(machine("sm01"));
            assertEquals(PowerState.UNKNOWN, m.powerState());
            assertNull(m.contactable());
            assertEquals(Map.of("cipherSuite", "3"), m.options());
            store.recordPower("sm01", PowerState.ON, true, null);
            BmcMachine replaced = store.putMachine(BmcMachine.spec("sm01", "tink", "10.0.0.9", 0, "redfish", "other", true, null,
                    Map.of("systemName", "1"), null));
            assertEquals("redfish", replaced.driver());
            assertEquals(PowerState.ON, replaced.powerState(), "the status stays");
            assertEquals(Boolean.TRUE, replaced.contactable());
            assertEquals(List.of("sm01"), store.machines().stream().map(BmcMachine::name).toList());
            store.deleteMachine("sm01");
            assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> store.deleteMachine("sm01")).reason());
        }
    }

    @Test
    void aMachineRunsOneJobAtATimeInTheOrderTheyCameAndTwoInstancesNeverClaimTheSame() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of());
            PgBmcStore store = new PgBmcStore(db);
            for (int i = 0; i < 20; i++) {
                store.putMachine(machine("m" + i));
            }
            assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class,
                    () -> store.createJob(BmcJob.of("j", null, "nope", null, List.of(BmcAction.power(PowerAction.ON)), 0, 0))).reason());
            for (int i = 0; i < 20; i++) {
                for (int k = 0; k < 3; k++) {
                    store.createJob(BmcJob.of("m" + i + "-j" + k, null, "m" + i, null,
                            List.of(BmcAction.power(PowerAction.OFF), BmcAction.boot(BootDevice.PXE, false, true), BmcAction.power(PowerAction.ON)),
                            60, 2));
                }
            }
            assertEquals(StoreException.Reason.CONFLICT, assertThrows(StoreException.class,
                    () -> store.createJob(BmcJob.of("m0-j0", null, "m0", null, List.of(BmcAction.power(PowerAction.ON)), 0, 0))).reason());
            assertFalse(store.createJobIfAbsent(BmcJob.of("m0-j0", null, "m0", null, List.of(BmcAction.power(PowerAction.ON)), 0, 0)));

            // two instances claim at once: each machine's first job, each to one instance only
            ConcurrentLinkedQueue<String> claimed = new ConcurrentLinkedQueue<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (String instance : List.of("a", "b")) {
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                        for (int round = 0; round < 10; round++) {
                            store.claimJobs(instance, Duration.ofMinutes(1), 3).forEach(j -> claimed.add(j.id()));
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                th.start();
                threads.add(th);
            }
            go.countDown();
            for (Thread th : threads) {
                th.join();
            }
            Set<String> unique = new HashSet<>(claimed);
            assertEquals(claimed.size(), unique.size(), "no job claimed twice: " + claimed);
            assertEquals(20, unique.size(), unique.toString());
            assertTrue(unique.stream().allMatch(id -> id.endsWith("-j0")), "the first job of each machine: " + unique);

            BmcJob running = store.job("m3-j0").orElseThrow();
            assertEquals(BmcJob.State.RUNNING, running.state());
            assertTrue(running.startedAt() != null);
            assertEquals(3, running.tasks().size());
            assertEquals(BootDevice.PXE, running.tasks().get(1).action().bootDevice());
            assertTrue(running.tasks().get(1).action().efiBoot());

            // only the instance that holds the claim writes; the job's end frees the machine for its next job
            String holder = claimedBy(t, "m3-j0");
            String other = holder.equals("a") ? "b" : "a";
            List<BmcTask> done = running.tasks().stream().map(k -> new BmcTask(k.action(), BmcJob.State.SUCCEEDED, 1,
                    Instant.now(), Instant.now(), null)).toList();
            BmcJob finished = new BmcJob(running.id(), null, running.machine(), null, BmcJob.State.SUCCEEDED, done, 60, 2, null,
                    running.createdAt(), running.startedAt(), Instant.now());
            assertEquals(StoreException.Reason.STALE, assertThrows(StoreException.class, () -> store.updateJob(other, finished)).reason());
            store.updateJob(holder, finished);
            assertEquals(BmcJob.State.SUCCEEDED, store.job("m3-j0").orElseThrow().state());
            assertEquals(List.of("m3-j1"), store.claimJobs("b", Duration.ofMinutes(1), 50).stream().map(BmcJob::id).toList());

            // an instance that dies: its lease runs out and another takes the job over
            try (Connection c = t.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE bmc_job SET claimed_until = now() - interval '1 second' WHERE id = 'm5-j0'");
            }
            String before = claimedBy(t, "m5-j0");
            List<BmcJob> takeover = store.claimJobs("c", Duration.ofMinutes(1), 50);
            assertEquals(List.of("m5-j0"), takeover.stream().map(BmcJob::id).toList(), "taken over by c (was " + before + ")");
            store.renewJobs("c", List.of("m5-j0"), Duration.ofMinutes(5));
            assertEquals("c", claimedBy(t, "m5-j0"));

            // no power check for a machine running a job (each of the 20 runs one now)
            store.putMachine(machine("idle"));
            List<String> polled = store.claimPowerChecks(Duration.ofMinutes(1), 100).stream().map(BmcMachine::name).toList();
            assertEquals(List.of("idle"), polled);
            assertEquals(List.of(), store.claimPowerChecks(Duration.ofMinutes(1), 100), "checked a moment ago");
        }
    }

    @Test
    void eventsAreNumberedPerJobAndDeletedWithIt() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            PgBmcStore store = new PgBmcStore(t.start(Map.of()));
            store.putMachine(machine("e1"));
            store.createJob(BmcJob.of("job-1", null, "e1", null, List.of(BmcAction.media("http://x/y.iso"), BmcAction.media("")), 0, 0));
            BmcJobEvent first = store.addEvent("job-1", null, "job.started", null);
            BmcJobEvent second = store.addEvent("job-1", 0, "task.succeeded", "media insert http://x/y.iso");
            assertEquals(1, first.seq());
            assertEquals(2, second.seq());
            assertEquals(List.of(2L), store.events("job-1", 1, 10).stream().map(BmcJobEvent::seq).toList());
            assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> store.addEvent("nope", null, "x", null)).reason());
            store.deleteMachine("e1");
            assertTrue(store.job("job-1").isEmpty(), "a machine's jobs go with it");
            assertEquals(List.of(), store.events("job-1", 0, 10));
        }
    }

    private static String claimedBy(TestDatabase t, String id) throws Exception {
        try (Connection c = t.connect(); Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT claimed_by FROM bmc_job WHERE id = '" + id + "'")) {
            r.next();
            return r.getString(1);
        }
    }
}
