package io.ironbell.engine.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.cluster.Cluster;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.TinkerbellHardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.manifest.Manifest;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.plugin.PluginRepository;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.Task;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateStore;
import io.ironbell.api.workflow.ActionClaim;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.EventStore;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowException.Reason;
import io.ironbell.api.workflow.WorkflowRequest;
import io.ironbell.api.workflow.WorkflowService;
import io.ironbell.api.workflow.WorkflowStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workflow engine. State lives in the store, so any number of server instances can run
 * this component on one database: transitions are versioned updates (a lost race is retried on
 * fresh state), each stored with its events in one transaction, and the timeout sweeper of every
 * instance looks for overdue work in the database.
 */
@Component(configurationPid = WorkflowEngine.PID, service = {WorkflowService.class, ChangeListener.class, MetricSet.class})
@Designate(ocd = WorkflowEngine.Config.class)
public final class WorkflowEngine implements WorkflowService, ChangeListener, MetricSet {

    static final String PID = "io.ironbell.engine";

    private static final Logger LOG = LoggerFactory.getLogger(WorkflowEngine.class);
    /** What Tinkerbell's template sees without a hardwareRef: its zero Hardware object. */
    private static final ObjectNode NO_HARDWARE = noHardware();
    private static final Pattern ID = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final int STALE_RETRIES = 8;
    /** Most running workflows kept as last seen here; past it the copies start over. */
    private static final int RECENT = 50_000;
    /** Threads that claim for woken long polls. */
    private static final int WAKERS = 4;
    /** Most workers waiting at once on this instance; beyond, a long poll answers "nothing" at once. */
    static final int MAX_WAITERS = 20_000;

    @ObjectClassDefinition(name = "Ironbell workflow engine", description = "engine.* keys")
    public @interface Config {
        @AttributeDefinition(description = "milliseconds between sweeps for overdue actions and workflows")
        long sweepMillis() default 1000;

        @AttributeDefinition(description = "events a workflow may have before its actions' progress messages are no longer "
                + "recorded as events (transitions always are)")
        int maxEventsPerWorkflow() default 10_000;
    }

    private final WorkflowStore workflows;
    private final TemplateStore templates;
    private final EventStore events;
    private final HardwareLookup hardware;

    /** The server's plugin repository, when it runs: a workflow pins the plugin for each image it claims. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile PluginRepository plugins;

    /** Applied Tinkerbell objects, when the store keeps them: a template sees an applied Hardware object as it was applied. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ManifestStore manifests;

    /** Machines' inventories, for templates ({@code .Hardware.Inventory}), when discovery runs. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile io.ironbell.api.discovery.DiscoveryStore inventories;
    private final EventBudget budget;
    private final ScheduledExecutorService sweeper;
    /** The instances on the database; absent (a store without it), this instance sweeps. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Cluster cluster;
    private final ExecutorService fanout;
    /** Running workflows as this instance last handed them out or wrote them (see {@link #transition}). */
    private final Map<String, Workflow> recent = new ConcurrentHashMap<>();
    /** Claims for long-polling workers woken by a change, and their time-outs. */
    private final ScheduledExecutorService waiting;
    private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger waiterCount = new AtomicInteger();

    /** A worker's long poll: answered once, with its claim or with nothing at its deadline. */
    private static final class Waiter {
        final String worker;
        final long deadline;
        final CompletableFuture<Optional<WorkerAction>> answer = new CompletableFuture<>();

        Waiter(String worker, long deadline) {
            this.worker = worker;
            this.deadline = deadline;
        }
    }
    private final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();
    private final LongAdder created = new LongAdder();
    private final LongAdder claims = new LongAdder();
    private final LongAdder reports = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder staleRetries = new LongAdder();
    private final LongAdder messagesNotRecorded = new LongAdder();

    @Activate
    public WorkflowEngine(@Reference WorkflowStore workflows, @Reference TemplateStore templates, @Reference EventStore events,
                          @Reference HardwareLookup hardware, Config config) {
        this.workflows = workflows;
        this.templates = templates;
        this.events = events;
        this.hardware = hardware;
        if (config.maxEventsPerWorkflow() < 1) {
            throw new IllegalArgumentException("engine.maxEventsPerWorkflow must be at least 1, was " + config.maxEventsPerWorkflow());
        }
        this.budget = new EventBudget(events, config.maxEventsPerWorkflow());
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ironbell-engine-sweeper"));
        this.fanout = Executors.newSingleThreadExecutor(r -> daemon(r, "ironbell-engine-events"));
        this.waiting = Executors.newScheduledThreadPool(WAKERS, r -> daemon(r, "ironbell-engine-due"));
        long every = Math.max(100, config.sweepMillis());
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
        LOG.info("started: workflow engine, sweeping for timeouts every {} ms, at most {} events per workflow before progress "
                + "messages are no longer recorded", every, config.maxEventsPerWorkflow());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Deactivate
    void deactivate() {
        sweeper.shutdownNow();
        fanout.shutdownNow();
        waiting.shutdownNow();
        waiters.values().forEach(list -> list.forEach(w -> w.answer.complete(Optional.empty())));
        subscriptions.values().forEach(list -> list.forEach(s -> s.closed = true));
        LOG.info("stopped: workflow engine");
    }

    // ---- operator side ---------------------------------------------------------------------

    @Override
    public Workflow create(String templateIdOrName, Map<String, String> hardwareMap) throws WorkflowException {
        return create(new WorkflowRequest(null, templateIdOrName, hardwareMap, null, null));
    }

    @Override
    public Workflow create(WorkflowRequest request) throws WorkflowException {
        if (request.hardwareMap().isEmpty()) {
            throw new WorkflowException(Reason.INVALID, "hardware map is empty: give at least {\"device_1\": \"<MAC or hardware id>\"}");
        }
        if (request.id() != null && !ID.matcher(request.id()).matches()) {
            throw new WorkflowException(Reason.INVALID, "workflow id '" + request.id() + "' must be 1-253 lower-case letters, digits, '-' and '.'");
        }
        // Tinkerbell's objects (a hardwareRef, even empty) take the map as plain template data, as Tinkerbell does;
        // Ironbell's API wants every value to be known hardware, the first one's record being .Hardware
        boolean tinkerbell = request.hardwareRef() != null;
        Map<String, String> map = new TreeMap<>();
        Hardware first = null;
        for (Map.Entry<String, String> e : new TreeMap<>(request.hardwareMap()).entrySet()) {
            if (!KEY.matcher(e.getKey()).matches()) {
                throw new WorkflowException(Reason.INVALID, "hardware map key '" + e.getKey() + "' must be a template identifier like device_1");
            }
            map.put(e.getKey(), e.getValue().trim());
            if (tinkerbell) {
                continue;
            }
            Hardware hw = hardware.find(e.getValue()).orElseThrow(() -> new WorkflowException(Reason.INVALID,
                    "hardware map: " + e.getKey() + " = '" + e.getValue() + "' is not a known MAC address, IP address or hardware id"));
            if (first == null) {
                first = hw;
            }
        }
        ObjectNode subject;
        Hardware subjectRecord = null;
        if (!tinkerbell) {
            subject = hardwareObject(first);
            subjectRecord = first;
        } else if (request.hardwareRef().isEmpty()) {
            subject = NO_HARDWARE;
        } else {
            subjectRecord = hardware.byId(request.hardwareRef()).orElseThrow(() -> new WorkflowException(Reason.INVALID,
                    "hardwareRef '" + request.hardwareRef() + "' is not known hardware"));
            subject = hardwareObject(subjectRecord);
        }
        JsonNode inventory = inventoryOf(subjectRecord);
        TemplateRecord record = store(() -> templates.get(request.template()));
        Template template;
        try {
            template = WorkflowTemplates.render(record.data(), map, subject, inventory);
        } catch (TemplateException e) {
            if (tinkerbell) {
                return renderingFailed(request, record, map, e);
            }
            throw new WorkflowException(Reason.INVALID, "template " + record.name() + ": " + e.getMessage(), e);
        }
        List<ActionStatus> actions = new ArrayList<>();
        for (Task task : template.tasks()) {
            String worker = workerOf(task);
            for (TemplateAction a : task.actions()) {
                actions.add(new ActionStatus(task.name(), a.name(), worker, ExecutionState.PENDING, 0, null, null, null, null));
            }
        }
        Map<String, String> pins = pins(template);
        Workflow w = store(() -> workflows.create(new Workflow(request.id(), record.id(), record.revision(), map, template,
                ExecutionState.PENDING, actions, 0, null, null, null, 0, pins, request.bootOptions())));
        store(() -> events.append(new WorkflowEvent(0, w.id(), null, null, null, ExecutionState.PENDING,
                "created from template " + record.name() + " revision " + record.revision(), null)));
        created.increment();
        return w;
    }

    private static ObjectNode noHardware() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.putObject("metadata").putNull("creationTimestamp");
        o.putObject("spec").putObject("auto");
        o.putObject("status");
        return o;
    }

    /**
     * A Tinkerbell Workflow whose template does not render for its hardware is kept, as Tinkerbell
     * keeps it, FAILED with no action and the error (with its line) as its event.
     */
    private Workflow renderingFailed(WorkflowRequest request, TemplateRecord record, Map<String, String> map, TemplateException e)
            throws WorkflowException {
        Template nothing = new Template(Template.VERSION, record.name(), null, List.of(), Map.of());
        Workflow w = store(() -> workflows.create(new Workflow(request.id(), record.id(), record.revision(), map, nothing,
                ExecutionState.FAILED, List.of(), 0, null, null, null, 0, Map.of(), request.bootOptions())));
        store(() -> events.append(new WorkflowEvent(0, w.id(), null, null, null, ExecutionState.FAILED,
                "template " + record.name() + " revision " + record.revision() + " did not render: " + e.getMessage(), null)));
        created.increment();
        return w;
    }

    /**
     * The hardware as the template sees it: the Hardware object as it was applied, when it was,
     * else the record as Tinkerbell's object.
     */
    /** The inventory the machine last reported, as JSON; null without one (or without discovery). */
    private JsonNode inventoryOf(Hardware hw) throws WorkflowException {
        io.ironbell.api.discovery.DiscoveryStore d = inventories;
        if (hw == null || d == null) {
            return null;
        }
        return store(() -> d.inventory(hw.id())).map(i -> (JsonNode) io.ironbell.api.json.Json.mapper().valueToTree(i.inventory())).orElse(null);
    }

    private ObjectNode hardwareObject(Hardware hw) throws WorkflowException {
        ManifestStore m = manifests;
        if (m != null) {
            Optional<Manifest> applied = store(() -> m.find("Hardware", hw.id()));
            if (applied.isPresent()) {
                ObjectNode object = Json.mapper().createObjectNode();
                object.set("metadata", applied.get().object().path("metadata").deepCopy());
                ObjectNode spec = applied.get().object().get("spec") instanceof ObjectNode s ? s.deepCopy() : Json.mapper().createObjectNode();
                if (!spec.has("auto")) {
                    spec.putObject("auto");
                }
                object.set("spec", spec);
                object.putObject("status");
                return object;
            }
        }
        return TinkerbellHardware.toObject(hw);
    }

    /** The worker of a task: the MAC address of the hardware its rendered {@code worker} names. */
    private String workerOf(Task task) throws WorkflowException {
        Hardware hw = hardware.find(task.worker()).orElseThrow(() -> new WorkflowException(Reason.INVALID,
                "task " + task.name() + ": worker '" + task.worker() + "' is not a known MAC address, IP address or hardware id"));
        HardwareInterface nic = null;
        try {
            MacAddress mac = MacAddress.parse(task.worker().trim());
            nic = hw.interfaceByMac(mac).orElse(null);
        } catch (IllegalArgumentException notAMac) {
            for (HardwareInterface i : hw.interfaces()) {
                if (i.macAddress() != null) {
                    nic = i;
                    break;
                }
            }
        }
        if (nic == null || nic.macAddress() == null) {
            throw new WorkflowException(Reason.INVALID, "task " + task.name() + ": hardware " + hw.id() + " has no interface with a MAC address");
        }
        if (!nic.allowsWorkflow()) {
            throw new WorkflowException(Reason.INVALID, "task " + task.name() + ": hardware " + hw.id()
                    + " does not allow workflows (netboot.allow_workflow is not true)");
        }
        return nic.macAddress().toString();
    }

    @Override
    public Workflow get(String id) throws WorkflowException {
        return store(() -> workflows.get(id));
    }

    @Override
    public Page<Workflow> list(PageRequest page) throws WorkflowException {
        return store(() -> workflows.list(page));
    }

    @Override
    public Workflow cancel(String id) throws WorkflowException {
        return transition(id, w -> StateMachine.cancel(w, Instant.now()));
    }

    @Override
    public Workflow fail(String id, String reason) throws WorkflowException {
        return transition(id, w -> StateMachine.fail(w, reason, Instant.now()));
    }

    @Override
    public void delete(String id) throws WorkflowException {
        recent.remove(id);
        store(() -> {
            workflows.delete(id);
            return null;
        });
    }

    @Override
    public List<WorkflowEvent> events(String id, long after, int limit) throws WorkflowException {
        get(id);
        return store(() -> events.after(id, after, Math.max(1, Math.min(limit, PageRequest.MAX_LIMIT))));
    }

    @Override
    public JsonNode data(String id) throws WorkflowException {
        return store(() -> workflows.data(id));
    }

    @Override
    public void putData(String id, JsonNode data) throws WorkflowException {
        if (data == null || !data.isObject()) {
            throw new WorkflowException(Reason.INVALID, "ephemeral data must be a JSON object");
        }
        int size;
        try {
            size = Json.mapper().writeValueAsString(data).getBytes(StandardCharsets.UTF_8).length;
        } catch (JsonProcessingException e) {
            throw new WorkflowException(Reason.INVALID, "ephemeral data does not write as JSON: " + e.getOriginalMessage());
        }
        if (size > MAX_DATA_BYTES) {
            throw new WorkflowException(Reason.INVALID, "ephemeral data is " + size + " bytes; at most " + MAX_DATA_BYTES);
        }
        store(() -> {
            workflows.putData(id, data);
            return null;
        });
    }

    // ---- worker side -------------------------------------------------------------------------

    @Override
    public Optional<WorkerAction> nextAction(String workerId) throws WorkflowException {
        String worker = normalize(workerId);
        Optional<ActionClaim> claim = store(() -> workflows.claimNext(worker));
        claim.filter(c -> !c.resumed()).ifPresent(c -> claims.increment());
        claim.ifPresent(c -> remember(c.workflow()));
        return claim.map(c -> action(c, c.resumed()));
    }

    @Override
    public CompletionStage<Optional<WorkerAction>> awaitNextAction(String workerId, Duration wait) throws WorkflowException {
        String worker = normalize(workerId);
        Optional<WorkerAction> now = nextAction(worker);
        if (now.isPresent() || wait.isZero() || wait.isNegative() || waiterCount.get() >= MAX_WAITERS) {
            return CompletableFuture.completedFuture(now);
        }
        long millis = Math.min(wait.toMillis(), MAX_WAIT.toMillis());
        Waiter w = new Waiter(worker, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
        enlist(w);
        waiting.schedule(() -> {
            if (unlist(w)) {
                w.answer.complete(Optional.empty());
            }
        }, millis, TimeUnit.MILLISECONDS);
        // what became due between the claim above and the enlisting would wake no one: look once more
        waiting.execute(() -> retry(w));
        return w.answer;
    }

    private void enlist(Waiter w) {
        waiters.compute(w.worker, (k, list) -> {
            List<Waiter> l = list == null ? new CopyOnWriteArrayList<>() : list;
            l.add(w);
            return l;
        });
        waiterCount.incrementAndGet();
    }

    /** Takes the waiter off the list; false when someone else did (it is being answered). */
    private boolean unlist(Waiter w) {
        boolean[] removed = new boolean[1];
        waiters.computeIfPresent(w.worker, (k, list) -> {
            removed[0] = list.remove(w);
            return list.isEmpty() ? null : list;
        });
        if (removed[0]) {
            waiterCount.decrementAndGet();
        }
        return removed[0];
    }

    /** Claims for a woken (or just enlisted) waiter: answers it with what it got, else it waits on. */
    private void retry(Waiter w) {
        if (!unlist(w)) {
            return;
        }
        try {
            Optional<WorkerAction> a = nextAction(w.worker);
            if (a.isPresent() || System.nanoTime() >= w.deadline) {
                w.answer.complete(a);
                return;
            }
        } catch (WorkflowException | RuntimeException e) {
            w.answer.completeExceptionally(e);
            return;
        }
        enlist(w);
        if (System.nanoTime() >= w.deadline && unlist(w)) {
            w.answer.complete(Optional.empty());
        }
    }

    /** A workflow changed: its workers that wait claim again. */
    private void wake(String workflowId) {
        Workflow w = recent.get(workflowId);
        if (w == null) {
            try {
                w = workflows.get(workflowId);
            } catch (StoreException e) {
                return; // gone (deleted), or the database is away: the waiters' deadlines answer them
            }
        }
        Set<String> workers = new HashSet<>();
        for (ActionStatus a : w.actions()) {
            if (a.worker() != null) {
                workers.add(a.worker());
            }
        }
        for (String worker : workers) {
            List<Waiter> list = waiters.get(worker);
            if (list != null) {
                for (Waiter waiter : list) {
                    waiting.execute(() -> retry(waiter));
                }
            }
        }
    }

    @Override
    public Workflow report(String workerId, ActionReport report) throws WorkflowException {
        if (report == null || report.workflowId() == null) {
            throw new WorkflowException(Reason.INVALID, "a report needs workflowId, actionIndex and state");
        }
        String worker = normalize(workerId);
        reports.increment();
        return transition(report.workflowId(), w -> {
            int idx = report.actionIndex();
            if (idx >= 0 && idx < w.actions().size() && !w.actions().get(idx).worker().equals(worker)) {
                throw new WorkflowException(Reason.FORBIDDEN, "action " + idx + " of workflow " + w.id() + " belongs to worker "
                        + w.actions().get(idx).worker() + ", not " + worker);
            }
            StateMachine.Outcome o = StateMachine.report(w, report, Instant.now());
            if (!o.progress() || o.events().isEmpty()) {
                return o;
            }
            List<WorkflowEvent> kept = store(() -> budget.admit(w, o.events()));
            if (kept.isEmpty()) {
                messagesNotRecorded.increment();
            }
            return o.withEvents(kept);
        });
    }

    private static String normalize(String workerId) throws WorkflowException {
        if (workerId == null || workerId.isBlank()) {
            throw new WorkflowException(Reason.INVALID, "worker id is required");
        }
        try {
            return MacAddress.parse(workerId.trim()).toString();
        } catch (IllegalArgumentException e) {
            throw new WorkflowException(Reason.INVALID, "worker id must be the machine's MAC address, was '" + workerId + "'");
        }
    }

    /**
     * The repository plugin for each image of the template, as the repository has them now: a
     * plugin pushed or replaced later does not change this workflow.
     */
    private Map<String, String> pins(Template template) throws WorkflowException {
        PluginRepository repo = plugins;
        Map<String, String> pins = new TreeMap<>();
        if (repo == null) {
            return pins;
        }
        for (Task task : template.tasks()) {
            for (TemplateAction a : task.actions()) {
                if (a.image() != null && !pins.containsKey(a.image())) {
                    store(() -> repo.forImage(a.image())).ifPresent(p -> pins.put(a.image(), p.digest()));
                }
            }
        }
        return pins;
    }

    private static WorkerAction action(ActionClaim c, boolean resumed) {
        Workflow w = c.workflow();
        int idx = c.actionIndex();
        Task task = StateMachine.task(w, idx);
        TemplateAction a = StateMachine.templateAction(w, idx);
        List<String> volumes = new ArrayList<>();
        if (task.volumes() != null) {
            volumes.addAll(task.volumes());
        }
        if (a.volumes() != null) {
            volumes.addAll(a.volumes());
        }
        int timeout = a.timeout() != null ? a.timeout()
                : w.template().globalTimeout() != null ? w.template().globalTimeout() : 3600;
        return new WorkerAction(w.id(), idx, task.name(), a.name(), a.image(), a.command() == null ? List.of() : a.command(),
                volumes, new LinkedHashMap<>(task.environmentFor(a)), a.pid(), timeout, c.action().attempts(), resumed,
                w.plugins().get(a.image()));
    }

    // ---- transitions ---------------------------------------------------------------------------

    @FunctionalInterface
    private interface Step {
        StateMachine.Outcome apply(Workflow w) throws WorkflowException;
    }

    /** Applies a step to fresh state; when another writer came first, reads again and retries. */
    /**
     * Applies {@code step} to the workflow and stores the outcome, retrying on a fresh read when
     * another writer got there first. The first try starts from the workflow as this instance last
     * handed it out or wrote it, when it has it, instead of reading it again: the store's version
     * check refuses a stale copy (then it is read), and any outcome other than a stored change
     * (nothing to do, a refusal) is decided again on a fresh read, so the copy only ever saves a read.
     */
    private Workflow transition(String id, Step step) throws WorkflowException {
        for (int attempt = 0; ; attempt++) {
            Workflow known = attempt == 0 ? recent.get(id) : null;
            Workflow w = known != null ? known : get(id);
            StateMachine.Outcome o;
            try {
                o = step.apply(w);
            } catch (WorkflowException e) {
                if (known == null) {
                    throw e;
                }
                continue;
            }
            if (!o.changed()) {
                if (known != null) {
                    continue;
                }
                return w;
            }
            try {
                Workflow updated = workflows.update(o.workflow(), o.events());
                if (updated.state().isTerminal()) {
                    budget.forget(id);
                    recent.remove(id);
                } else {
                    remember(updated);
                }
                return updated;
            } catch (StoreException e) {
                recent.remove(id);
                if (e.reason() != StoreException.Reason.STALE || attempt >= STALE_RETRIES) {
                    throw translate(e);
                }
                if (known == null) {
                    staleRetries.increment();
                }
            }
        }
    }

    /** Keeps a running workflow as it was last handed out or written here, for {@link #transition}. */
    private void remember(Workflow w) {
        if (recent.size() >= RECENT) {
            recent.clear();
        }
        recent.put(w.id(), w);
    }

    /**
     * Ends actions and workflows that ran past their timeouts: on the instance that leads, so that
     * N instances do not query N times (a transition lost to another instance would be retried on
     * fresh state anyway, so the second or so of two leaders after a failover is harmless).
     */
    private void sweep() {
        Cluster c = cluster;
        if (c != null && !c.leads()) {
            return;
        }
        try {
            for (String id : workflows.overdue(100)) {
                AtomicBoolean ended = new AtomicBoolean();
                try {
                    transition(id, w -> {
                        if (w.state() != ExecutionState.RUNNING) {
                            return StateMachine.Outcome.unchanged(w);
                        }
                        Instant now = Instant.now();
                        Integer global = w.template().globalTimeout();
                        if (global != null && w.startedAt() != null && w.startedAt().plusSeconds(global).isBefore(now)) {
                            ended.set(true);
                            return StateMachine.globalTimeout(w, now);
                        }
                        int idx = w.currentAction();
                        ActionStatus a = w.actions().get(idx);
                        TemplateAction t = StateMachine.templateAction(w, idx);
                        if (a.state() == ExecutionState.RUNNING && t != null && t.timeout() != null && a.startedAt() != null
                                && a.startedAt().plusSeconds(t.timeout()).isBefore(now)) {
                            ended.set(true);
                            return StateMachine.fail(w, idx, ExecutionState.TIMEOUT, "no report within its timeout of " + t.timeout() + " s", now);
                        }
                        return StateMachine.Outcome.unchanged(w);
                    });
                    if (ended.get()) {
                        timeouts.increment();
                    }
                } catch (WorkflowException e) {
                    LOG.debug("sweep of workflow {}: {}", id, e.getMessage());
                }
            }
        } catch (StoreException e) {
            LOG.debug("timeout sweep skipped: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("timeout sweep failed", e);
        }
    }

    // ---- live events ---------------------------------------------------------------------------

    private static final class Subscription {
        final Consumer<WorkflowEvent> listener;
        final AtomicLong last;
        volatile boolean closed;

        Subscription(Consumer<WorkflowEvent> listener, long last) {
            this.listener = listener;
            this.last = new AtomicLong(last);
        }
    }

    @Override
    public AutoCloseable subscribe(String id, Consumer<WorkflowEvent> listener) throws WorkflowException {
        get(id);
        List<WorkflowEvent> past = events(id, 0, PageRequest.MAX_LIMIT);
        long last = past.isEmpty() ? 0 : past.get(past.size() - 1).sequence();
        Subscription s = new Subscription(listener, last);
        subscriptions.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(s);
        return () -> {
            s.closed = true;
            subscriptions.computeIfPresent(id, (k, list) -> {
                list.remove(s);
                return list.isEmpty() ? null : list;
            });
        };
    }

    @Override
    public void changed(String kind, String id) {
        if (!kind.equals("workflow")) {
            return;
        }
        if (waiterCount.get() > 0) {
            waiting.execute(() -> wake(id));
        }
        if (subscriptions.containsKey(id)) {
            fanout.execute(() -> deliver(id));
        }
    }

    /** Notifications may have been missed: every subscriber gets what it has not seen yet. */
    @Override
    public void resync() {
        for (String id : subscriptions.keySet()) {
            fanout.execute(() -> deliver(id));
        }
    }

    private void deliver(String id) {
        List<Subscription> subs = subscriptions.get(id);
        if (subs == null) {
            return;
        }
        for (Subscription s : subs) {
            if (s.closed) {
                continue;
            }
            try {
                for (WorkflowEvent e : events.after(id, s.last.get(), PageRequest.MAX_LIMIT)) {
                    s.last.set(e.sequence());
                    s.listener.accept(e);
                }
            } catch (StoreException | RuntimeException e) {
                LOG.debug("cannot deliver events of {}: {}", id, e.getMessage());
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    @FunctionalInterface
    private interface StoreCall<T> {
        T call() throws StoreException;
    }

    private static <T> T store(StoreCall<T> call) throws WorkflowException {
        try {
            return call.call();
        } catch (StoreException e) {
            throw translate(e);
        }
    }

    private static WorkflowException translate(StoreException e) {
        Reason r = switch (e.reason()) {
            case NOT_FOUND -> Reason.NOT_FOUND;
            case CONFLICT, STALE -> Reason.CONFLICT;
            case INVALID -> Reason.INVALID;
            case UNAVAILABLE -> Reason.UNAVAILABLE;
        };
        return new WorkflowException(r, e.getMessage(), e);
    }

    @Override
    public void collect(MetricWriter w) {
        w.counter("ironbell_workflows_created_total", "workflows created", created.sum());
        w.counter("ironbell_workflow_claims_total", "actions handed to workers", claims.sum());
        w.counter("ironbell_workflow_reports_total", "reports from workers", reports.sum());
        w.counter("ironbell_workflow_timeouts_total", "actions and workflows ended by a timeout", timeouts.sum());
        w.counter("ironbell_workflow_stale_retries_total", "transitions retried after losing a race", staleRetries.sum());
        w.counter("ironbell_workflow_messages_not_recorded_total", "progress messages not recorded as events: their workflow "
                + "had engine.maxEventsPerWorkflow events", messagesNotRecorded.sum());
        w.gauge("ironbell_workflow_subscriptions", "workflows with live event subscribers", subscriptions.size());
    }
}
