package io.ironbell.bmc.internal;

import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BmcStore;
import io.ironbell.api.bmc.BmcTask;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs BMC jobs and polls machines' power, on every server instance, sharing the work through
 * the store's claims: each job runs on the instance that claimed it (another takes it over when
 * that instance's lease runs out), each machine is polled by one instance per interval.
 *
 * <p>A job's tasks run in order; a task that fails on a transport error (unreachable, timed out)
 * is tried again after a growing pause, up to the job's {@code maxAttempts}; any other failure,
 * or the last attempt's, ends the job FAILED and nothing after it runs. A power task is done when
 * the BMC reports the state it leads to, read every 3 s as Rufio does, within the task's timeout.
 * Every driver call runs on a thread of its own bounded by {@code bmc.callTimeoutSeconds}, so a
 * driver that hangs costs its own machine a failed attempt and never a job thread.
 */
@Component(configurationPid = JobRunner.PID, service = {JobRunner.class, ChangeListener.class, MetricSet.class}, immediate = true)
@Designate(ocd = JobRunner.Config.class)
public final class JobRunner implements ChangeListener, MetricSet {

    static final String PID = "io.ironbell.bmc";
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    static final Duration POWER_RECHECK = Duration.ofSeconds(3);

    @ObjectClassDefinition(name = "Ironbell BMC jobs and power polling", description = "bmc.* keys")
    public @interface Config {
        @AttributeDefinition(description = "jobs this instance runs at once (each machine runs one job at a time)")
        int jobThreads() default 16;

        @AttributeDefinition(description = "seconds a claimed job stays this instance's without renewal (another takes it over after)")
        int leaseSeconds() default 60;

        @AttributeDefinition(description = "seconds one driver call (one BMC request) may take")
        int callTimeoutSeconds() default 30;

        @AttributeDefinition(description = "seconds between power polls of one machine; 0: no polling")
        int powerPollSeconds() default 300;

        @AttributeDefinition(description = "power polls this instance runs at once")
        int powerPollConcurrency() default 8;

        @AttributeDefinition(description = "seconds before the first retry of a task; doubled for each next one")
        int retryBackoffSeconds() default 2;
    }

    private final BmcStore store;
    private final ManifestStore secrets;
    private final Drivers drivers;
    private final Config config;
    private final String instance;
    private final ExecutorService jobs;
    private final ExecutorService calls;
    private final ExecutorService polls;
    private final Semaphore pollSlots;
    private final Map<String, Future<?>> running = new ConcurrentHashMap<>();
    private final Thread scheduler;
    private final Object wake = new Object();
    private volatile boolean stopped;

    private final LongAdder jobsDone = new LongAdder();
    private final LongAdder jobsFailed = new LongAdder();
    private final LongAdder tasksRun = new LongAdder();
    private final LongAdder taskRetries = new LongAdder();
    private final LongAdder pollsDone = new LongAdder();
    private final LongAdder pollsFailed = new LongAdder();
    private final AtomicInteger pollsRunning = new AtomicInteger();
    private volatile Map<String, PowerState> powerByMachine = Map.of();

    @Activate
    public JobRunner(@Reference BmcStore store, @Reference ManifestStore secrets, @Reference Drivers drivers, Config config) {
        this.store = store;
        this.secrets = secrets;
        this.drivers = drivers;
        this.config = config;
        this.instance = instanceName();
        this.jobs = Executors.newFixedThreadPool(Math.max(1, config.jobThreads()), daemon("bmc-job"));
        this.calls = Executors.newCachedThreadPool(daemon("bmc-call"));
        this.polls = Executors.newFixedThreadPool(Math.max(1, config.powerPollConcurrency()), daemon("bmc-poll"));
        this.pollSlots = new Semaphore(Math.max(1, config.powerPollConcurrency()));
        this.scheduler = new Thread(this::schedule, "bmc-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
        LOG.info("started: BMC jobs ({} at once) and power polling (every {} s) as instance {}", config.jobThreads(),
                config.powerPollSeconds(), instance);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        stopped = true;
        scheduler.interrupt();
        scheduler.join(5000);
        jobs.shutdownNow();
        polls.shutdownNow();
        calls.shutdownNow();
        jobs.awaitTermination(5, TimeUnit.SECONDS);
        LOG.info("stopped: BMC jobs ({} left to another instance or the next start)", running.size());
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String instanceName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "host";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    }

    @Override
    public void changed(String kind, String id) {
        if (kind.equals("bmc_job")) {
            synchronized (wake) {
                wake.notifyAll();
            }
        }
    }

    // ---- the scheduler: claims, leases, polls ---------------------------------------------------

    private void schedule() {
        long lastRenew = 0;
        long lastPoll = 0;
        long lastSnapshot = 0;
        boolean busy = false;
        while (!stopped) {
            try {
                running.values().removeIf(Future::isDone);
                int free = Math.max(0, config.jobThreads()) - running.size();
                if (free > 0) {
                    for (BmcJob job : store.claimJobs(instance, lease(), free)) {
                        running.put(job.id(), jobs.submit(() -> run(job)));
                    }
                }
                long now = System.nanoTime();
                if (now - lastRenew > lease().toNanos() / 3) {
                    store.renewJobs(instance, new ArrayList<>(running.keySet()), lease());
                    lastRenew = now;
                }
                // a full batch of due polls: look again soon, so that a fleet is polled at the
                // concurrency allowed rather than one batch a second
                if (config.powerPollSeconds() > 0 && (busy || now - lastPoll > TimeUnit.SECONDS.toNanos(1))) {
                    busy = poll();
                    lastPoll = now;
                }
                if (now - lastSnapshot > TimeUnit.SECONDS.toNanos(10)) {
                    Map<String, PowerState> snapshot = new ConcurrentHashMap<>();
                    store.machines().forEach(m -> snapshot.put(m.name(), m.powerState()));
                    powerByMachine = snapshot;
                    lastSnapshot = now;
                }
            } catch (StoreException e) {
                LOG.debug("BMC scheduler: {}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("BMC scheduler: {}", e.toString(), e);
            }
            synchronized (wake) {
                try {
                    wake.wait(busy ? 50 : 1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private Duration lease() {
        return Duration.ofSeconds(Math.max(5, config.leaseSeconds()));
    }

    /** Starts the polls that are due, as many as there are free slots; true when it filled them all (more may be due). */
    private boolean poll() throws StoreException {
        int free = pollSlots.availablePermits();
        if (free <= 0) {
            // every slot busy: each poll that ends wakes the scheduler
            return false;
        }
        List<BmcMachine> due = store.claimPowerChecks(Duration.ofSeconds(config.powerPollSeconds()), free);
        for (BmcMachine m : due) {
            if (!pollSlots.tryAcquire()) {
                break;
            }
            pollsRunning.incrementAndGet();
            polls.execute(() -> {
                try {
                    BmcEndpoint endpoint = Credentials.endpoint(m, secrets, callTimeout());
                    BmcDriver driver = drivers.driverFor(m, endpoint);
                    PowerState state = withSession(driver, endpoint, s -> s.powerState());
                    store.recordPower(m.name(), state, true, null);
                    pollsDone.increment();
                } catch (BmcException e) {
                    pollsFailed.increment();
                    record(m.name(), PowerState.UNKNOWN, false, e.getMessage());
                } catch (StoreException e) {
                    LOG.debug("power poll of {}: {}", m.name(), e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    pollsRunning.decrementAndGet();
                    pollSlots.release();
                    synchronized (wake) {
                        wake.notifyAll();
                    }
                }
            });
        }
        return due.size() == free;
    }

    private void record(String machine, PowerState state, boolean contactable, String message) {
        try {
            store.recordPower(machine, state, contactable, message);
        } catch (StoreException e) {
            LOG.debug("cannot record the power of {}: {}", machine, e.getMessage());
        }
    }

    private Duration callTimeout() {
        return Duration.ofSeconds(Math.max(1, config.callTimeoutSeconds()));
    }

    // ---- one job -------------------------------------------------------------------------------

    /** Thrown when another instance took the job over: this one stops without a word. */
    private static final class Lost extends Exception {
        private static final long serialVersionUID = 1L;

        Lost(String message) {
            super(message, null, false, false);
        }
    }

    private void run(BmcJob claimed) {
        BmcJob job = claimed;
        try {
            if (job.tasks().stream().allMatch(t -> t.state() == BmcJob.State.PENDING)) {
                event(job, null, "job.started", "on " + instance);
            } else {
                event(job, null, "job.resumed", "taken over by " + instance);
            }
            List<BmcTask> tasks = new ArrayList<>(job.tasks());
            for (int i = 0; i < tasks.size(); i++) {
                if (tasks.get(i).state() == BmcJob.State.SUCCEEDED) {
                    continue;
                }
                BmcTask task = tasks.get(i);
                int attempts = task.attempts();
                Instant started = Instant.now();
                Instant deadline = started.plusSeconds(job.taskTimeoutSeconds());
                while (true) {
                    attempts++;
                    tasks.set(i, new BmcTask(task.action(), BmcJob.State.RUNNING, attempts, started, null, null));
                    job = save(job, BmcJob.State.RUNNING, tasks, null);
                    event(job, i, "task.started", task.action().describe() + (attempts > 1 ? " (attempt " + attempts + ")" : ""));
                    tasksRun.increment();
                    try {
                        String outcome = perform(job, task.action(), deadline);
                        tasks.set(i, new BmcTask(task.action(), BmcJob.State.SUCCEEDED, attempts, started, Instant.now(), outcome));
                        job = save(job, BmcJob.State.RUNNING, tasks, null);
                        event(job, i, "task.succeeded", outcome);
                        break;
                    } catch (BmcException e) {
                        long backoff = (long) Math.max(1, config.retryBackoffSeconds()) << Math.min(attempts - 1, 6);
                        boolean again = e.retryable() && attempts < job.maxAttempts()
                                && Instant.now().plusSeconds(backoff).isBefore(deadline);
                        if (again) {
                            taskRetries.increment();
                            event(job, i, "task.retry", e.getMessage() + "; again in " + backoff + " s");
                            Thread.sleep(backoff * 1000);
                            continue;
                        }
                        String message = e.getMessage();
                        tasks.set(i, new BmcTask(task.action(), BmcJob.State.FAILED, attempts, started, Instant.now(), message));
                        String why = "task " + i + " (" + task.action().describe() + ") failed: " + message;
                        job = save(job, BmcJob.State.FAILED, tasks, why);
                        event(job, i, "task.failed", message);
                        event(job, null, "job.failed", why);
                        jobsFailed.increment();
                        LOG.info("BMC job {} on {}: {}", job.id(), job.machine(), why);
                        return;
                    }
                }
            }
            job = save(job, BmcJob.State.SUCCEEDED, tasks, null);
            event(job, null, "job.succeeded", tasks.size() + " task" + (tasks.size() == 1 ? "" : "s"));
            jobsDone.increment();
        } catch (Lost e) {
            LOG.info("BMC job {}: {}", claimed.id(), e.getMessage());
        } catch (InterruptedException e) {
            // stopping: the lease runs out and another instance (or this one, restarted) resumes the job
            Thread.currentThread().interrupt();
        } catch (StoreException e) {
            LOG.warn("BMC job {}: the database failed ({}); the job resumes when its lease runs out", claimed.id(), e.getMessage());
        } finally {
            // a thread is free: the machine's next job, or another's, need not wait for the next tick
            synchronized (wake) {
                wake.notifyAll();
            }
        }
    }

    private BmcJob save(BmcJob job, BmcJob.State state, List<BmcTask> tasks, String message) throws StoreException, Lost {
        BmcJob next = new BmcJob(job.id(), job.namespace(), job.machine(), job.workflowId(), state, tasks, job.taskTimeoutSeconds(),
                job.maxAttempts(), message, job.createdAt(), job.startedAt() == null ? Instant.now() : job.startedAt(),
                state.ended() ? Instant.now() : null);
        try {
            store.updateJob(instance, next);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.STALE) {
                throw new Lost("another instance took it over");
            }
            throw e;
        }
        return next;
    }

    private void event(BmcJob job, Integer task, String type, String message) throws StoreException {
        store.addEvent(job.id(), task, type, message);
    }

    /** Does one task; returns what happened in a few words. */
    private String perform(BmcJob job, BmcAction action, Instant deadline) throws BmcException, StoreException, InterruptedException {
        BmcMachine m = store.machine(job.machine()).orElseThrow(() -> new BmcException(Reason.CONFIG, "machine " + job.machine() + " was deleted"));
        BmcEndpoint endpoint = Credentials.endpoint(m, secrets, bounded(deadline));
        BmcDriver driver = drivers.driverFor(m, endpoint);
        try {
            if (action.bootDevice() != null) {
                withSession(driver, endpoint, s -> {
                    s.bootDevice(action.bootDevice(), action.persistent(), action.efiBoot());
                    return null;
                });
                return "next boot " + action.bootDevice().wire() + (action.persistent() ? " (persistent)" : " (once)") + (action.efiBoot() ? ", EFI" : "");
            }
            if (action.mediaUrl() != null) {
                withSession(driver, endpoint, s -> {
                    if (action.mediaUrl().isEmpty()) {
                        s.ejectMedia();
                    } else {
                        s.insertMedia(action.mediaUrl());
                    }
                    return null;
                });
                return action.mediaUrl().isEmpty() ? "virtual media ejected" : "virtual media " + action.mediaUrl() + " inserted";
            }
            PowerAction p = action.power();
            PowerState before = withSession(driver, endpoint, BmcSession::powerState);
            store.recordPower(m.name(), before, true, null);
            if (p == PowerAction.STATUS) {
                return "power is " + before.wire();
            }
            if ((p == PowerAction.ON || p == PowerAction.OFF || p == PowerAction.SOFT) && before == p.target()) {
                return "power was already " + before.wire();
            }
            withSession(driver, endpoint, s -> {
                s.power(p);
                return null;
            });
            // Rufio's rule: the task is done when the BMC says the machine is in the state asked for
            PowerState now;
            while (true) {
                now = withSession(driver, Credentials.endpoint(m, secrets, bounded(deadline)), BmcSession::powerState);
                if (now == p.target()) {
                    break;
                }
                if (Instant.now().plus(POWER_RECHECK).isAfter(deadline)) {
                    store.recordPower(m.name(), now, true, null);
                    throw new BmcException(Reason.REFUSED, "power still " + now.wire() + " after " + job.taskTimeoutSeconds()
                            + " s (the task's timeout) of '" + action.describe() + "'");
                }
                Thread.sleep(POWER_RECHECK.toMillis());
            }
            store.recordPower(m.name(), now, true, null);
            return "power " + p.wire() + ": now " + now.wire();
        } catch (BmcException e) {
            if (e.reason() == Reason.AUTH || e.reason() == Reason.UNREACHABLE || e.reason() == Reason.TIMEOUT || e.reason() == Reason.TLS) {
                record(m.name(), m.powerState(), false, e.getMessage());
            }
            throw e;
        }
    }

    /** The call timeout, or less when the task's deadline is nearer. */
    private Duration bounded(Instant deadline) throws BmcException {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative() || left.isZero()) {
            throw new BmcException(Reason.TIMEOUT, "the task's time ran out");
        }
        return left.compareTo(callTimeout()) < 0 ? left : callTimeout();
    }

    @FunctionalInterface
    interface SessionCall<T> {
        T call(BmcSession session) throws BmcException;
    }

    /** Opens a session, makes one call, closes it; all on a call thread, abandoned after the endpoint's timeout and a grace. */
    private <T> T withSession(BmcDriver driver, BmcEndpoint endpoint, SessionCall<T> call) throws BmcException, InterruptedException {
        Callable<T> work = () -> {
            try (BmcSession s = driver.open(endpoint)) {
                return call.call(s);
            }
        };
        Future<T> f = calls.submit(work);
        // open and call may each take the endpoint's timeout; a driver that honours it never reaches the limit
        long limit = endpoint.timeout().toMillis() * 2 + 2000;
        try {
            return f.get(limit, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new BmcException(Reason.TIMEOUT, "the BMC at " + endpoint.host() + " (driver call) did not finish within " + limit / 1000 + " s");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BmcException b) {
                throw b;
            }
            throw new BmcException(Reason.REFUSED, "the driver failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    /** One read from a machine's BMC now, bounded like a task's call (for inventory and sensors). */
    <T> T read(BmcMachine m, SessionCall<T> call) throws BmcException, InterruptedException {
        BmcEndpoint endpoint = Credentials.endpoint(m, secrets, callTimeout());
        return withSession(drivers.driverFor(m, endpoint), endpoint, call);
    }

    @Override
    public void collect(MetricWriter w) {
        w.counter("ironbell_bmc_jobs_total", "BMC jobs this instance ended", jobsDone.sum(), "state", "succeeded");
        w.counter("ironbell_bmc_jobs_total", "BMC jobs this instance ended", jobsFailed.sum(), "state", "failed");
        w.gauge("ironbell_bmc_jobs_running", "BMC jobs this instance runs now", running.values().stream().filter(f -> !f.isDone()).count());
        w.counter("ironbell_bmc_tasks_total", "BMC task attempts this instance started", tasksRun.sum());
        w.counter("ironbell_bmc_task_retries_total", "BMC task attempts that failed on transport and were tried again", taskRetries.sum());
        w.counter("ironbell_bmc_power_polls_total", "power polls this instance made", pollsDone.sum(), "outcome", "ok");
        w.counter("ironbell_bmc_power_polls_total", "power polls this instance made", pollsFailed.sum(), "outcome", "failed");
        w.gauge("ironbell_bmc_power_polls_running", "power polls running now", pollsRunning.get());
        Map<PowerState, Integer> counts = new EnumMap<>(PowerState.class);
        for (PowerState s : PowerState.values()) {
            counts.put(s, 0);
        }
        Map<String, PowerState> snapshot = powerByMachine;
        snapshot.values().forEach(s -> counts.merge(s, 1, Integer::sum));
        counts.forEach((s, n) -> w.gauge("ironbell_bmc_machines", "BMC machines by their last known power state", n, "power", s.wire()));
        snapshot.forEach((name, s) -> w.gauge("ironbell_bmc_machine_power_on", "1 when the machine's BMC last said on, 0 off, -1 unknown",
                s == PowerState.ON ? 1 : s == PowerState.OFF ? 0 : -1, "machine", name));
    }

    /** This instance's name in job claims. */
    String instance() {
        return instance;
    }
}
