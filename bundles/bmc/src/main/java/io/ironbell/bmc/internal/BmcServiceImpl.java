package io.ironbell.bmc.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcJobEvent;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.bmc.BmcServiceException.Reason;
import io.ironbell.api.bmc.BmcStore;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.Transactions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BMC machines and jobs as the API, the CLI and {@code apply} see them: checked, credentials put
 * in Secrets, jobs stored for the {@link JobRunner} of whichever instance claims them, and job
 * events followed live from any instance through the store's notifications.
 */
@Component(service = {BmcService.class, ChangeListener.class})
public final class BmcServiceImpl implements BmcService, ChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(BmcServiceImpl.class);
    /** Kubernetes' object names (RFC 1123 subdomain), which Rufio's objects have. */
    static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    static final int MAX_TASKS = 100;

    private final BmcStore store;
    private final ManifestStore manifests;
    private final HardwareLookup hardware;
    private final Drivers drivers;
    private final Transactions transactions;

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    volatile JobRunner runner;
    private final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();
    private final ExecutorService fanout = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bmc-events");
        t.setDaemon(true);
        return t;
    });

    private static final class Subscription {
        final Consumer<BmcJobEvent> listener;
        final AtomicLong last;
        volatile boolean closed;

        Subscription(Consumer<BmcJobEvent> listener, long after) {
            this.listener = listener;
            this.last = new AtomicLong(after);
        }
    }

    @Activate
    public BmcServiceImpl(@Reference BmcStore store, @Reference ManifestStore manifests, @Reference HardwareLookup hardware,
            @Reference Drivers drivers, @Reference Transactions transactions) {
        this.store = store;
        this.transactions = transactions;
        this.manifests = manifests;
        this.hardware = hardware;
        this.drivers = drivers;
    }

    @Deactivate
    void deactivate() {
        fanout.shutdownNow();
    }

    @Override
    public BmcMachine putMachine(BmcMachine m, String username, String password) throws BmcServiceException {
        if (m.name() == null || !NAME.matcher(m.name()).matches()) {
            throw invalid("name '" + m.name() + "' is not a name (lowercase letters, digits, '-' and '.', at most 253)");
        }
        if (m.host() == null || m.host().isBlank() || m.host().chars().anyMatch(Character::isWhitespace)) {
            throw invalid("host '" + m.host() + "' is not a host name or address");
        }
        if (m.port() < 0 || m.port() > 65535) {
            throw invalid("port " + m.port() + " is not between 0 and 65535");
        }
        if ("0".equals(m.options().getOrDefault("cipherSuite", "").strip())) {
            throw invalid("options.cipherSuite 0 authenticates nothing (any password is accepted): refused");
        }
        if (m.caPem() != null && !m.caPem().isBlank() && !m.caPem().contains("-----BEGIN CERTIFICATE-----")) {
            throw invalid("caPem holds no PEM certificate");
        }
        try {
            // the Secret and the machine together, or neither
            return transactions.<BmcMachine, BmcServiceException>atomically(() -> storeMachine(m, username, password));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    private BmcMachine storeMachine(BmcMachine m, String username, String password) throws BmcServiceException, StoreException {
        String secret = m.authSecretRef();
        if (username != null || password != null) {
            if (username == null || username.isEmpty() || password == null || password.isEmpty()) {
                throw invalid("give both username and password");
            }
            secret = m.name() + "-bmc-auth";
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            object.put("apiVersion", "v1").put("kind", "Secret");
            ObjectNode meta = object.putObject("metadata").put("name", secret);
            if (m.namespace() != null) {
                meta.put("namespace", m.namespace());
            }
            object.put("type", "kubernetes.io/basic-auth");
            manifests.put("Secret", secret, m.namespace(), object);
            Map<String, byte[]> values = new LinkedHashMap<>();
            values.put("username", username.getBytes(StandardCharsets.UTF_8));
            values.put("password", password.getBytes(StandardCharsets.UTF_8));
            manifests.putSecret(secret, values);
        } else if (secret == null || secret.isBlank()) {
            throw invalid("give username and password, or authSecretRef naming a Secret with them");
        }
        // a Secret named but not there yet is allowed, as Rufio allows it: the machine's tasks and
        // polls fail saying so until it is applied
        String hardwareId = null;
        if (m.hardwareId() != null && !m.hardwareId().isBlank()) {
            hardwareId = hardware.find(m.hardwareId()).map(Hardware::id)
                    .orElseThrow(() -> invalid("hardwareId names no hardware (id, MAC or IP): " + m.hardwareId()));
        }
        return store.putMachine(BmcMachine.spec(m.name(), m.namespace(), m.host().strip(), m.port(), m.driver(), secret, m.insecureTls(),
                m.caPem(), m.options(), hardwareId));
    }

    @Override
    public BmcMachine machine(String nameOrHardware) throws BmcServiceException {
        try {
            Optional<BmcMachine> m = store.machine(nameOrHardware);
            if (m.isEmpty()) {
                Optional<Hardware> hw = hardware.find(nameOrHardware);
                if (hw.isPresent()) {
                    m = store.machineOf(hw.get().id());
                }
            }
            return m.orElseThrow(() -> new BmcServiceException(Reason.NOT_FOUND, "no BMC machine " + nameOrHardware
                    + " (by name, or by the id, MAC or IP of its hardware)"));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public List<BmcMachine> machines() throws BmcServiceException {
        try {
            return store.machines();
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public void deleteMachine(String name) throws BmcServiceException {
        try {
            store.deleteMachine(machine(name).name());
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public BmcJob createJob(BmcJob job) throws BmcServiceException {
        if (job.id() == null || !NAME.matcher(job.id()).matches()) {
            throw invalid("job name '" + job.id() + "' is not a name (lowercase letters, digits, '-' and '.', at most 253)");
        }
        if (job.tasks().isEmpty() || job.tasks().size() > MAX_TASKS) {
            throw invalid("a job has 1 to " + MAX_TASKS + " tasks, not " + job.tasks().size());
        }
        if (job.taskTimeoutSeconds() > 24 * 3600) {
            throw invalid("taskTimeoutSeconds is at most a day (86400)");
        }
        if (job.maxAttempts() > 20) {
            throw invalid("maxAttempts is at most 20");
        }
        for (int i = 0; i < job.tasks().size(); i++) {
            BmcAction a = job.tasks().get(i).action();
            if (a == null) {
                throw invalid("tasks[" + i + "] has no action");
            }
            if (a.mediaUrl() != null && !a.mediaUrl().isEmpty() && !a.mediaUrl().matches("(?i)https?://\\S+")) {
                throw invalid("tasks[" + i + "].virtualMediaAction.mediaURL is not an http(s) URL: " + a.mediaUrl());
            }
        }
        BmcMachine m = machine(job.machine());
        try {
            return store.createJob(BmcJob.of(job.id(), job.namespace(), m.name(), job.workflowId(),
                    job.tasks().stream().map(t -> t.action()).toList(), job.taskTimeoutSeconds(), job.maxAttempts()));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public BmcJob job(String id) throws BmcServiceException {
        try {
            return store.job(id).orElseThrow(() -> new BmcServiceException(Reason.NOT_FOUND, "no BMC job " + id));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public List<BmcJob> jobs(String machine, int limit) throws BmcServiceException {
        try {
            return store.jobs(machine == null ? null : machine(machine).name(), Math.max(1, Math.min(limit, 1000)));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public void deleteJob(String id) throws BmcServiceException {
        try {
            store.deleteJob(id);
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public List<BmcJobEvent> events(String jobId, long after, int limit) throws BmcServiceException {
        job(jobId);
        try {
            return store.events(jobId, after, Math.max(1, Math.min(limit, 1000)));
        } catch (StoreException e) {
            throw fromStore(e);
        }
    }

    @Override
    public AutoCloseable subscribe(String jobId, long after, Consumer<BmcJobEvent> listener) throws BmcServiceException {
        job(jobId);
        Subscription s = new Subscription(listener, after);
        subscriptions.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(s);
        // what happened before the subscription, and anything that raced it
        fanout.execute(() -> deliver(jobId));
        return () -> {
            s.closed = true;
            subscriptions.computeIfPresent(jobId, (k, list) -> {
                list.remove(s);
                return list.isEmpty() ? null : list;
            });
        };
    }

    @Override
    public void changed(String kind, String id) {
        if (kind.equals("bmc_event") && subscriptions.containsKey(id)) {
            fanout.execute(() -> deliver(id));
        }
    }

    @Override
    public void resync() {
        for (String id : subscriptions.keySet()) {
            fanout.execute(() -> deliver(id));
        }
    }

    private void deliver(String jobId) {
        List<Subscription> subs = subscriptions.get(jobId);
        if (subs == null) {
            return;
        }
        for (Subscription s : subs) {
            try {
                while (!s.closed) {
                    List<BmcJobEvent> batch = store.events(jobId, s.last.get(), 500);
                    for (BmcJobEvent e : batch) {
                        s.last.set(e.seq());
                        s.listener.accept(e);
                    }
                    if (batch.size() < 500) {
                        break;
                    }
                }
            } catch (StoreException | RuntimeException e) {
                LOG.debug("cannot deliver events of BMC job {}: {}", jobId, e.getMessage());
            }
        }
    }

    @Override
    public Map<String, String> inventory(String machine) throws BmcServiceException {
        return read(machine, io.ironbell.api.bmc.BmcSession::inventory);
    }

    @Override
    public List<io.ironbell.api.bmc.SensorReading> sensors(String machine) throws BmcServiceException {
        return read(machine, io.ironbell.api.bmc.BmcSession::sensors);
    }

    private <T> T read(String machine, JobRunner.SessionCall<T> call) throws BmcServiceException {
        BmcMachine m = machine(machine);
        JobRunner r = runner;
        if (r == null) {
            throw new BmcServiceException(Reason.UNAVAILABLE, "the BMC job runner is not running");
        }
        try {
            return r.read(m, call);
        } catch (io.ironbell.api.bmc.BmcException e) {
            throw invalid("the BMC of " + m.name() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BmcServiceException(Reason.UNAVAILABLE, "interrupted");
        }
    }

    @Override
    public List<String> drivers() {
        return drivers.names();
    }

    private static BmcServiceException invalid(String message) {
        return new BmcServiceException(Reason.INVALID, message);
    }

    static BmcServiceException fromStore(StoreException e) {
        return new BmcServiceException(switch (e.reason()) {
            case NOT_FOUND -> Reason.NOT_FOUND;
            case CONFLICT -> Reason.CONFLICT;
            case INVALID -> Reason.INVALID;
            case STALE, UNAVAILABLE -> Reason.UNAVAILABLE;
        }, e.getMessage());
    }
}
