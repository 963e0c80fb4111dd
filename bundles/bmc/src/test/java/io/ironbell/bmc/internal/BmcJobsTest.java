package io.ironbell.bmc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcJobEvent;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.bmc.ipmi.internal.IpmiDriver;
import io.ironbell.store.internal.StoreFixture;
import io.ironbell.testing.Await;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.IpmiSim;
import io.ironbell.testing.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** BMC jobs run by the runner on a real PostgreSQL against real BMCs (ipmi_sim), one instance and two. */
class BmcJobsTest {

    private StoreFixture store;
    private Path work;
    private final List<IpmiSim> sims = new ArrayList<>();
    private final List<JobRunner> runners = new ArrayList<>();
    private Drivers drivers;
    private BmcServiceImpl service;

    @BeforeEach
    void start() throws Exception {
        store = new StoreFixture();
        work = Files.createTempDirectory("bmc-jobs");
        drivers = new Drivers();
        IpmiDriver ipmi = new IpmiDriver(Converters.standardConverter().convert(Map.of()).to(IpmiDriver.Config.class));
        drivers.addDriver(ipmi, Map.of(BmcDriver.NAME, "ipmi", "service.id", 1L));
        service = new BmcServiceImpl(store.bmc, store.manifests, store.hardware, drivers, store.transactions());
        store.addChangeListener(service);
    }

    @AfterEach
    void stop() throws Exception {
        for (JobRunner r : runners) {
            r.deactivate();
        }
        sims.forEach(IpmiSim::close);
        store.close();
        TempDirs.delete(work);
    }

    private JobRunner runner(Map<String, Object> config) {
        Map<String, Object> c = new HashMap<>(Map.of("callTimeoutSeconds", 5, "retryBackoffSeconds", 1, "powerPollSeconds", 0));
        c.putAll(config);
        JobRunner r = new JobRunner(store.bmc, store.manifests, drivers, Converters.standardConverter().convert(c).to(JobRunner.Config.class));
        store.addChangeListener(r);
        runners.add(r);
        return r;
    }

    private IpmiSim sim(String name) throws Exception {
        IpmiSim s = IpmiSim.start(work.resolve(name), "127.0.0.1", FreePort.find(), "admin", "s3cret-pw", IpmiSim.stateScript(work), 0, List.of());
        sims.add(s);
        return s;
    }

    private BmcMachine machine(String name, int port, String password) throws BmcServiceException {
        return service.putMachine(BmcMachine.spec(name, null, "127.0.0.1", port, "ipmi", null, false, null, Map.of("cipherSuite", "3"), null),
                "admin", password);
    }

    private BmcJob await(String id, Duration limit) {
        return Await.until("job " + id + " ended", limit, () -> {
            try {
                BmcJob j = service.job(id);
                return j.state().ended() ? j : null;
            } catch (BmcServiceException e) {
                throw new IllegalStateException(e);
            }
        }).value();
    }

    @Test
    void aJobRunsItsTasksInOrderAndItsEventsArriveLive() throws Exception {
        IpmiSim bmc = sim("bmc1");
        BmcMachine m = machine("node-1", bmc.port(), "s3cret-pw");
        assertEquals("node-1-bmc-auth", m.authSecretRef(), "the credentials went into a Secret");
        assertEquals("s3cret-pw", new String(store.manifests.secret("node-1-bmc-auth").get("password")));
        service.createJob(BmcJob.of("netboot-1", null, "node-1", null,
                List.of(BmcAction.power(PowerAction.OFF), BmcAction.boot(BootDevice.PXE, false, true), BmcAction.power(PowerAction.ON)), 60, 3));
        List<BmcJobEvent> live = new CopyOnWriteArrayList<>();
        try (AutoCloseable sub = service.subscribe("netboot-1", 0, live::add)) {
            runner(Map.of());
            BmcJob done = await("netboot-1", Duration.ofSeconds(60));
            assertEquals(BmcJob.State.SUCCEEDED, done.state(), String.valueOf(done));
            assertTrue(done.tasks().stream().allMatch(t -> t.state() == BmcJob.State.SUCCEEDED && t.attempts() == 1), done.tasks().toString());
            assertEquals("power was already off", done.tasks().get(0).message());
            assertEquals("power on: now on", done.tasks().get(2).message());
            int stored = service.events("netboot-1", 0, 100).size();
            Await.until("every event delivered", Duration.ofSeconds(10), () -> live.size() == stored
                    && live.get(live.size() - 1).type().equals("job.succeeded") ? true : null);
        }
        List<String> types = live.stream().map(BmcJobEvent::type).toList();
        assertEquals(List.of("job.started", "task.started", "task.succeeded", "task.started", "task.succeeded", "task.started",
                "task.succeeded", "job.succeeded"), types);
        List<String> calls = Files.readAllLines(bmc.chassis().resolve("log"));
        int boot = calls.indexOf("set boot pxe");
        int on = calls.indexOf("set power 1");
        assertTrue(boot >= 0 && on > boot, "boot device before power on: " + calls);
        assertEquals(PowerState.ON, service.machine("node-1").powerState());
        assertEquals(Boolean.TRUE, service.machine("node-1").contactable());
    }

    @Test
    void failuresEndTheJobWithTheReasonAndNeverHoldUpOtherMachines() throws Exception {
        IpmiSim good = sim("good");
        IpmiSim hung = sim("hung");
        machine("good", good.port(), "s3cret-pw");
        machine("wrong-pw", good.port(), "not-it");
        machine("nobody", FreePort.find(), "s3cret-pw");
        machine("hung", hung.port(), "s3cret-pw");
        Files.writeString(hung.chassis().resolve("hang"), "30");
        List<BmcAction> onThenPxe = List.of(BmcAction.power(PowerAction.ON), BmcAction.boot(BootDevice.PXE, false, false));
        service.createJob(BmcJob.of("j-wrong", null, "wrong-pw", null, onThenPxe, 60, 3));
        service.createJob(BmcJob.of("j-nobody", null, "nobody", null, onThenPxe, 60, 2));
        service.createJob(BmcJob.of("j-hung", null, "hung", null, onThenPxe, 12, 5));
        service.createJob(BmcJob.of("j-good", null, "good", null, onThenPxe, 60, 3));
        long t0 = System.nanoTime();
        runner(Map.of("callTimeoutSeconds", 3));
        BmcJob goodJob = await("j-good", Duration.ofSeconds(30));
        long goodMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(BmcJob.State.SUCCEEDED, goodJob.state(), goodJob.toString());
        assertTrue(goodMillis < 15_000, "the good machine's job did not wait for the others: " + goodMillis + " ms");

        BmcJob wrong = await("j-wrong", Duration.ofSeconds(30));
        assertEquals(BmcJob.State.FAILED, wrong.state());
        assertEquals(1, wrong.tasks().get(0).attempts(), "an authentication failure is not retried");
        assertTrue(wrong.message().contains("refused the user admin or its password"), wrong.message());
        assertEquals(BmcJob.State.PENDING, wrong.tasks().get(1).state(), "nothing after the failed task runs");
        assertEquals(Boolean.FALSE, service.machine("wrong-pw").contactable());

        BmcJob nobody = await("j-nobody", Duration.ofSeconds(60));
        assertEquals(BmcJob.State.FAILED, nobody.state());
        assertEquals(2, nobody.tasks().get(0).attempts(), "unreachable: tried maxAttempts times");
        assertTrue(service.events("j-nobody", 0, 100).stream().anyMatch(e -> e.type().equals("task.retry")));

        BmcJob hungJob = await("j-hung", Duration.ofSeconds(60));
        assertEquals(BmcJob.State.FAILED, hungJob.state());
        assertTrue(hungJob.message().contains("did not finish") || hungJob.message().contains("did not answer")
                || hungJob.message().contains("time ran out"), hungJob.message());
        assertTrue(hungJob.finishedAt().isBefore(hungJob.startedAt().plusSeconds(25)), "ended near its 12 s task timeout: " + hungJob);
        Files.delete(hung.chassis().resolve("hang"));
    }

    /** Redfish's own failures end jobs with their reasons too: a certificate for another name, a task that never finishes. */
    @Test
    void aMismatchedCertificateAndATaskThatNeverEndsEachEndTheirJobWithTheReason() throws Exception {
        io.ironbell.testing.TestPki pki = io.ironbell.testing.TestPki.create(work.resolve("pki"));
        pki.issue("right", List.of("127.0.0.1"));
        pki.issue("wrong", List.of("bmc.example"));
        io.ironbell.testing.VmBmc stuck = io.ironbell.testing.VmBmc.redfish(work.resolve("stuck/chassis"), "127.0.0.1", FreePort.find(), "root",
                "pw", work.resolve("pki/right.pem"), pki.key("right"), List.of());
        io.ironbell.testing.VmBmc other = io.ironbell.testing.VmBmc.redfish(work.resolve("other/chassis"), "127.0.0.1", FreePort.find(), "root",
                "pw", work.resolve("pki/wrong.pem"), pki.key("wrong"), List.of());
        try {
            Files.writeString(stuck.chassis().resolve("task-never-ends"), "1");
            drivers.addDriver(new io.ironbell.bmc.redfish.internal.RedfishDriver(Converters.standardConverter().convert(Map.of())
                    .to(io.ironbell.bmc.redfish.internal.RedfishDriver.Config.class)), Map.of(BmcDriver.NAME, "redfish", "service.id", 2L));
            String ca = Files.readString(pki.ca());
            for (io.ironbell.testing.VmBmc b : List.of(stuck, other)) {
                java.net.URI u = java.net.URI.create(b.url());
                service.putMachine(BmcMachine.spec(b == stuck ? "stuck" : "other", null, u.getHost(), u.getPort(), "redfish", null, false, ca,
                        Map.of("taskTimeoutSeconds", "4"), null), "root", "pw");
            }
            service.createJob(BmcJob.of("j-stuck", null, "stuck", null, List.of(BmcAction.media("http://127.0.0.1:1/boot.iso")), 30, 3));
            service.createJob(BmcJob.of("j-other", null, "other", null, List.of(BmcAction.power(PowerAction.ON)), 30, 3));
            runner(Map.of());
            BmcJob s = await("j-stuck", Duration.ofSeconds(60));
            assertEquals(BmcJob.State.FAILED, s.state());
            assertTrue(s.message().contains("still Running after 4 s"), s.message());
            BmcJob o = await("j-other", Duration.ofSeconds(60));
            assertEquals(BmcJob.State.FAILED, o.state());
            assertTrue(o.message().contains("is not trusted"), o.message());
            assertEquals(1, o.tasks().get(0).attempts(), "a certificate that does not match is not tried again");
        } finally {
            stuck.close();
            other.close();
        }
    }

    @Test
    void twoInstancesShareTheJobsAndRunEachOnce() throws Exception {
        List<IpmiSim> bmcs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            bmcs.add(sim("m" + i));
            machine("m" + i, bmcs.get(i).port(), "s3cret-pw");
            for (int k = 0; k < 2; k++) {
                service.createJob(BmcJob.of("m" + i + "-cycle-" + k, null, "m" + i, null,
                        List.of(BmcAction.power(PowerAction.ON), BmcAction.power(PowerAction.OFF)), 60, 3));
            }
        }
        JobRunner a = runner(Map.of("jobThreads", 3));
        JobRunner b = runner(Map.of("jobThreads", 3));
        Map<String, Integer> startedBy = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            for (int k = 0; k < 2; k++) {
                String id = "m" + i + "-cycle-" + k;
                assertEquals(BmcJob.State.SUCCEEDED, await(id, Duration.ofSeconds(120)).state(), id);
                List<BmcJobEvent> started = service.events(id, 0, 100).stream().filter(e -> e.type().equals("job.started")).toList();
                assertEquals(1, started.size(), id + " started once: " + started);
                startedBy.merge(started.get(0).message(), 1, Integer::sum);
            }
            // a machine's second job runs after its first
            BmcJob first = service.job("m" + i + "-cycle-0");
            BmcJob second = service.job("m" + i + "-cycle-1");
            assertTrue(!second.startedAt().isBefore(first.finishedAt()), first + " then " + second);
        }
        assertEquals(2, startedBy.size(), "both instances ran jobs: " + startedBy + " (" + a.instance() + ", " + b.instance() + ")");
    }

    @Test
    void powerIsPolledAndBadRequestsAreRefusedWithTheField() throws Exception {
        IpmiSim bmc = sim("polled");
        Files.writeString(bmc.chassis().resolve("power"), "1");
        machine("polled", bmc.port(), "s3cret-pw");
        runner(Map.of("powerPollSeconds", 1));
        BmcMachine m = Await.until("polled", Duration.ofSeconds(20), () -> {
            try {
                BmcMachine x = service.machine("polled");
                return x.powerState() == PowerState.ON ? x : null;
            } catch (BmcServiceException e) {
                throw new IllegalStateException(e);
            }
        }).value();
        assertNotNull(m.powerCheckedAt());
        Files.writeString(bmc.chassis().resolve("power"), "0");
        Await.until("polled again", Duration.ofSeconds(20), () -> {
            try {
                return service.machine("polled").powerState() == PowerState.OFF ? true : null;
            } catch (BmcServiceException e) {
                throw new IllegalStateException(e);
            }
        });

        assertEquals(BmcServiceException.Reason.INVALID, assertThrows(BmcServiceException.class, () -> service.putMachine(
                BmcMachine.spec("Bad Name", null, "h", 0, "ipmi", null, false, null, Map.of(), null), "a", "b")).reason());
        BmcServiceException suite0 = assertThrows(BmcServiceException.class, () -> service.putMachine(
                BmcMachine.spec("s0", null, "h", 0, "ipmi", null, false, null, Map.of("cipherSuite", "0"), null), "a", "b"));
        assertTrue(suite0.getMessage().contains("cipherSuite 0"), suite0.getMessage());
        // a Secret named before it exists (as Rufio allows): the machine's job fails saying so
        service.putMachine(BmcMachine.spec("nosecret", null, "127.0.0.1", bmc.port(), "ipmi", "missing", false, null, Map.of(), null),
                null, null);
        service.createJob(BmcJob.of("j-nosecret", null, "nosecret", null, List.of(BmcAction.power(PowerAction.STATUS)), 0, 0));
        BmcJob noSecret = await("j-nosecret", Duration.ofSeconds(30));
        assertEquals(BmcJob.State.FAILED, noSecret.state());
        assertTrue(noSecret.message().contains("(Secret missing)"), noSecret.message());
        assertTrue(store.manifests.find("Secret", "s0-bmc-auth").isEmpty(), "a refused machine leaves no Secret");
        assertEquals(BmcServiceException.Reason.NOT_FOUND, assertThrows(BmcServiceException.class, () -> service.createJob(
                BmcJob.of("j", null, "nope", null, List.of(BmcAction.power(PowerAction.ON)), 0, 0))).reason());
        assertEquals(BmcServiceException.Reason.INVALID, assertThrows(BmcServiceException.class, () -> service.createJob(
                BmcJob.of("j", null, "polled", null, List.of(BmcAction.media("file:///etc/passwd")), 0, 0))).reason());
    }
}
