package io.ironbell.worker.internal;

import io.ironbell.client.ApiException;
import io.ironbell.client.Trust;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.plugin.PluginArtifact;
import io.ironbell.client.oci.OciException;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ActionStatus.Progress;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
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
 * The worker: asks the server for this machine's next action, runs it on the plugin its image
 * names, within its timeout, while its log lines and progress flow to the server, and reports
 * how it ended; then asks again. It outlives an unreachable server (every call is retried with
 * backoff), and with its {@link Journal} it never loses a final report and never starts the
 * same run of an action twice.
 */
@Component(service = {}, configurationPid = Worker.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = Worker.Config.class)
public final class Worker {

    static final String PID = "io.ironbell.worker";

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    @ObjectClassDefinition(name = "Ironbell worker", description = "worker.* keys")
    public @interface Config {
        @AttributeDefinition(description = "the server's base URL, https://host:port")
        String server() default "";

        @AttributeDefinition(description = "trust the server whose chain holds the certificate with this SHA-256 (sha256:HEX)")
        String caFingerprint() default "";

        @AttributeDefinition(description = "PEM file of the CA to trust; with neither, the JDK's CA store")
        String ca() default "";

        @AttributeDefinition(description = "allow an http:// server (one whose http.tls is false); the worker refuses it otherwise")
        boolean allowPlainHttp() default false;

        @AttributeDefinition(description = "the one-time boot token of the kernel command line, exchanged for the machine's session")
        String bootToken() default "";

        @AttributeDefinition(description = "this machine's MAC address: the worker id of its workflows")
        String id() default "";

        @AttributeDefinition(description = "admin token to authenticate with (tests, a laptop); empty: the machine's session from its boot token")
        String token() default "";

        @AttributeDefinition(description = "directory of the journal; empty: data/worker")
        String stateDir() default "";

        @AttributeDefinition(description = "registries (host:port, comma-separated) reached over plain HTTP, as Docker's insecure-registries; "
                + "the in-memory OS takes them from the kernel command line's insecure_registries=")
        String insecureRegistries() default "";

        @AttributeDefinition(description = "milliseconds between asks while there is nothing to do, when not long-polling")
        int pollMillis() default 2000;

        @AttributeDefinition(description = "seconds the server may hold a request for the next action until one is due"
                + " (a long poll: no polling while there is nothing to do); 0 polls every pollMillis; at most 30")
        int longPollSeconds() default 25;

        @AttributeDefinition(description = "longest pause between retries while the server is unreachable")
        int maxBackoffMillis() default 30000;

        @AttributeDefinition(description = "seconds a cancelled action has to stop before the worker moves on")
        int graceSeconds() default 10;

        @AttributeDefinition(description = "report this machine's inventory (from /sys, /proc and SMBIOS) when the worker starts; "
                + "the in-memory OS always does")
        boolean inventory() default true;

        @AttributeDefinition(description = "command (words separated by spaces) that renews this machine's DHCP lease, run when the rule "
                + "that enrolls it gives it a new address (IRONBELL_ADDRESS in its environment); the in-memory OS sets it")
        String addressHook() default "";
    }

    /** How often a running action's progress (or, without news, a heartbeat) goes to the server. */
    static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long HEARTBEAT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How long a plugin bundle fetched from the server may take to register its action plugin. */
    static final Duration PLUGIN_START = Duration.ofSeconds(30);
    /** The location of a plugin bundle the worker installed, followed by its jar's digest. */
    static final String LOCATION = "ironbell-plugin:";

    private final PluginRegistry plugins = new PluginRegistry();
    private RegistryPlugins registryPlugins;
    private BundleContext context;
    private String id;
    private ServerClient client;
    private Journal journal;
    private LogShipper logs;
    private long pollMillis;
    private long longPollSeconds;
    private long maxBackoff;
    private Duration grace;
    private Thread loop;
    private volatile boolean stopping;
    private boolean reportInventory;
    private String addressHook = "";

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addPlugin(ActionPlugin plugin, ServiceReference<ActionPlugin> ref) {
        Bundle b = ref.getBundle();
        String origin = b == null ? "?" : b.getSymbolicName() + " " + b.getVersion();
        Map<String, Object> props = new java.util.HashMap<>();
        for (String k : ref.getPropertyKeys()) {
            props.put(k, ref.getProperty(k));
        }
        plugins.add(plugin, props, origin);
        LOG.info("action plugin {} from {}", props.get(ActionPlugin.TYPE), origin);
    }

    void removePlugin(ActionPlugin plugin) {
        plugins.remove(plugin);
    }

    @Activate
    void activate(Config config, BundleContext context) throws IOException {
        this.context = context;
        URI server = URI.create(config.server().trim());
        if (!"http".equals(server.getScheme()) && !"https".equals(server.getScheme()) || server.getHost() == null) {
            throw new IllegalArgumentException("worker.server must be the server's https://host:port, was '" + config.server() + "'");
        }
        if ("http".equals(server.getScheme()) && !config.allowPlainHttp()) {
            throw new IllegalArgumentException("worker.server " + server + " is plain HTTP: the worker talks HTTPS only (the server's "
                    + "http.tlsPort, with --ca-fingerprint); set worker.allowPlainHttp=true only for a server whose http.tls is false");
        }
        id = MacAddress.parse(config.id().trim()).toString();
        Path state = config.stateDir().isBlank() ? dataDir(context).resolve("worker") : Path.of(config.stateDir());
        journal = new Journal(state);
        javax.net.ssl.SSLContext trust = !config.caFingerprint().isBlank() ? Trust.pinned(config.caFingerprint())
                : !config.ca().isBlank() ? Trust.caFile(Path.of(config.ca().trim())) : Trust.system();
        client = new ServerClient(server, id, config.token().trim(), trust, config.bootToken().trim(), state.resolve("session"));
        logs = new LogShipper(client, 10_000);
        java.util.Set<String> insecure = new java.util.HashSet<>();
        for (String r : config.insecureRegistries().split(",")) {
            if (!r.isBlank()) {
                insecure.add(r.trim().toLowerCase(java.util.Locale.ROOT));
            }
        }
        registryPlugins = new RegistryPlugins(insecure, client::trustedKeys);
        pollMillis = Math.max(50, config.pollMillis());
        longPollSeconds = Math.max(0, Math.min(30, config.longPollSeconds()));
        maxBackoff = Math.max(100, config.maxBackoffMillis());
        grace = Duration.ofSeconds(Math.max(1, config.graceSeconds()));
        reportInventory = config.inventory();
        addressHook = config.addressHook();
        loop = new Thread(this::loop, "ironbell-worker");
        loop.start();
        LOG.info("worker {} takes its actions from {}; journal in {}", id, server, state);
    }

    /**
     * The plugin the workflow pinned for this action's image: installed from the server (by digest,
     * checked) unless an earlier action installed it, started, and its action plugin registered.
     */
    private PluginRegistry.Choice pinned(WorkerAction a) throws IOException, InterruptedException, org.osgi.framework.BundleException {
        Bundle b = context.getBundle(LOCATION + a.plugin());
        if (b == null) {
            byte[] jar = client.plugin(a.plugin());
            String got = PluginArtifact.digest(jar);
            if (!got.equals(a.plugin())) {
                throw new IOException("the server sent a bundle whose digest is " + got + ", not the pinned " + a.plugin() + ": refused");
            }
            b = install(a.plugin(), jar, "from the server");
        }
        return started(b, a.image());
    }

    /**
     * The plugin an action's image is when it is published as an OCI artifact (pulled, checked,
     * installed and started), or empty when the image is not one.
     */
    private Optional<PluginRegistry.Choice> published(WorkerAction a) throws OciException, RegistryPlugins.Refused, InterruptedException,
            org.osgi.framework.BundleException {
        Optional<RegistryPlugins.Pulled> p = registryPlugins.pull(a);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        RegistryPlugins.Pulled pulled = p.get();
        Bundle b = context.getBundle(LOCATION + pulled.jarDigest());
        if (b == null) {
            b = install(pulled.jarDigest(), pulled.jar(), "from " + pulled.from().host() + "/" + pulled.from().repository() + "@"
                    + pulled.manifestDigest() + (pulled.signedBy() == null ? "" : ", signed by " + pulled.signedBy()));
        }
        try {
            return Optional.of(started(b, a.image()));
        } catch (IOException e) {
            throw new RegistryPlugins.Refused(e.getMessage());
        }
    }

    private Bundle install(String digest, byte[] jar, String from) throws org.osgi.framework.BundleException {
        Bundle b = context.installBundle(LOCATION + digest, new java.io.ByteArrayInputStream(jar));
        String what = "installed plugin " + b.getSymbolicName() + " " + b.getVersion() + " (" + digest + ") " + from;
        logs.add("worker", what);
        LOG.info("{}", what);
        return b;
    }

    /**
     * Starts a plugin bundle and waits for its action plugin: the one that claims the image, else
     * the only one it registers (an artifact's image names the artifact, not a type).
     */
    private PluginRegistry.Choice started(Bundle b, String image) throws IOException, InterruptedException, org.osgi.framework.BundleException {
        if (b.getState() != Bundle.ACTIVE) {
            b.start();
        }
        String origin = b.getSymbolicName() + " " + b.getVersion();
        long deadline = System.nanoTime() + PLUGIN_START.toNanos();
        while (true) {
            Optional<PluginRegistry.Choice> c = plugins.choose(image, origin);
            if (c.isPresent() && !c.get().entry().type().equals(PluginRegistry.CONTAINER)) {
                return c.get();
            }
            List<PluginRegistry.Entry> own = plugins.entries().stream().filter(e -> e.origin().equals(origin)).toList();
            if (own.size() == 1 && !own.get(0).type().equals(PluginRegistry.CONTAINER)) {
                return new PluginRegistry.Choice(own.get(0), "the plugin bundle's only action");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(origin + " registered no action plugin that runs " + image + " within " + PLUGIN_START.toSeconds() + " s"
                        + (own.size() > 1 ? " (it registers " + own.stream().map(PluginRegistry.Entry::type).toList() + " and none claims it)" : ""));
            }
            Thread.sleep(100);
        }
    }

    /** Whether a plugin was fetched at run time ({@link #pinned}, {@link #published}) rather than installed with the worker. */
    private boolean fromRepository(PluginRegistry.Entry e) {
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(LOCATION) && e.origin().equals(b.getSymbolicName() + " " + b.getVersion())) {
                return true;
            }
        }
        return false;
    }

    private static Path dataDir(BundleContext context) {
        String home = context.getProperty("ironbell.home");
        return home != null ? Path.of(home, "data") : context.getDataFile("").toPath();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        stopping = true;
        loop.interrupt();
        loop.join(grace.toMillis() + 2_000);
        logs.close();
    }

    private void loop() {
        long backoff = 0;
        while (!stopping) {
            try {
                if (reportInventory) {
                    reportInventory();
                    reportInventory = false;
                }
                deliverPending(Long.MAX_VALUE);
                long asked = System.nanoTime();
                Optional<WorkerAction> next = client.next(Duration.ofSeconds(longPollSeconds));
                if (backoff > 0) {
                    LOG.info("the server answers again");
                }
                backoff = 0;
                Optional<Journal.Started> started = journal.running();
                if (next.isEmpty()) {
                    if (started.isPresent()) {
                        journal.clearRunning(); // the server ended that run without us
                    }
                    // a long poll that came back at once (a server that does not hold it) is a poll: wait before the next
                    if (longPollSeconds == 0 || System.nanoTime() - asked < TimeUnit.SECONDS.toNanos(1)) {
                        Thread.sleep(pollMillis);
                    }
                    continue;
                }
                WorkerAction a = next.get();
                if (started.isPresent() && started.get().is(a)) {
                    // the worker stopped while this run went on: what it did is unknown, so it is
                    // reported, not started again (a retry, if the template allows one, is a new attempt)
                    logs.add("worker", "action " + a.name() + " (attempt " + a.attempt() + ") was interrupted by a restart of the worker");
                    finish(a, ExecutionState.FAILED, "interrupted: the worker stopped while the action ran; it is not run twice");
                    continue;
                }
                run(a);
            } catch (ApiException e) {
                boolean first = backoff == 0;
                backoff = Backoff.next(backoff, maxBackoff);
                if (first) {
                    LOG.warn("cannot reach the server ({}); trying again with backoff up to {} ms", e.getMessage(), maxBackoff);
                } else {
                    LOG.debug("server still unreachable: {}", e.getMessage());
                }
                sleepQuietly(backoff);
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("worker loop: {}", e.toString(), e);
                backoff = Backoff.next(backoff, maxBackoff);
                sleepQuietly(backoff);
            }
        }
    }

    /**
     * What this machine is, to the server, before its first ask for work: a discovered machine is
     * enrolled by it (and may get its workflow at once); a known one has its inventory refreshed.
     * A server that does not take inventories (no discovery bundle) answers 404 or 503: logged, not retried.
     */
    private void reportInventory() throws ApiException, InterruptedException {
        long t0 = System.nanoTime();
        io.ironbell.api.discovery.Inventory inventory = new InventoryCollector(Path.of("/")).collect();
        long collected = (System.nanoTime() - t0) / 1_000_000;
        try {
            com.fasterxml.jackson.databind.JsonNode answer = client.inventory(inventory);
            String decision = answer == null || answer.path("rule").isMissingNode() || answer.path("rule").isNull() ? ""
                    : "; enrolled by rule " + answer.path("rule").asText()
                    + (answer.hasNonNull("workflow") ? ", workflow " + answer.get("workflow").asText() : "");
            String what = "inventory reported (" + inventory.disks().size() + " disks, " + inventory.nics().size() + " NICs, read in "
                    + collected + " ms)" + decision;
            logs.add("worker", what);
            LOG.info("{}", what);
            if (answer != null && answer.hasNonNull("address")) {
                moveTo(answer.get("address").asText());
            }
        } catch (ApiException e) {
            if (e.status() == 404 || e.status() == 503 || e.status() == 400 || e.status() == 403) {
                LOG.warn("inventory not taken by the server: {}", e.getMessage());
                return;
            }
            throw e;
        }
    }

    /** How long the address hook may take (udhcpc's retries included). */
    static final Duration ADDRESS_HOOK_TIMEOUT = Duration.ofSeconds(60);

    /**
     * The rule that enrolled this machine gave it a new address, and its work is served there only:
     * the address hook renews the lease (the DHCP server now answers the new reservation).
     */
    private void moveTo(String address) throws InterruptedException {
        List<String> hook = java.util.Arrays.stream(addressHook.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
        if (hook.isEmpty()) {
            String what = "this machine's address is now " + address + ", which it takes when it boots again (no worker.addressHook)";
            logs.add("worker", what);
            LOG.warn("{}", what);
            return;
        }
        String what;
        Path out = null;
        try {
            // its output to a file: a hook that leaves a child holding the pipe open must not hang the worker
            out = java.nio.file.Files.createTempFile("ironbell-address-hook", ".log");
            ProcessBuilder pb = new ProcessBuilder(hook).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("IRONBELL_ADDRESS", address);
            Process p = pb.start();
            if (!p.waitFor(ADDRESS_HOOK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                what = "address hook " + String.join(" ", hook) + " did not end within " + ADDRESS_HOOK_TIMEOUT.toSeconds() + " s: killed";
            } else {
                String said = java.nio.file.Files.readString(out).strip();
                said = said.length() > 4000 ? said.substring(said.length() - 4000) : said;
                what = "address " + address + ": " + String.join(" ", hook) + " exited " + p.exitValue() + (said.isEmpty() ? "" : ": " + said);
            }
        } catch (IOException e) {
            what = "address hook " + String.join(" ", hook) + " not run: " + e.getMessage();
        } finally {
            if (out != null) {
                try {
                    java.nio.file.Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temporary file of the in-memory OS
                }
            }
        }
        client.reconnect();
        logs.add("worker", what);
        LOG.info("{}", what);
    }

    private void run(WorkerAction a) throws IOException, InterruptedException {
        // the worker's own plugins: those fetched at run time (from the server or a registry) run only the
        // actions that asked for them, so a pin or a published artifact is always the action's own version
        Optional<PluginRegistry.Choice> choice = plugins.choose(a.image(), e -> !fromRepository(e));
        // a pinned plugin runs unless one of the worker's own claims the image (the container plugin's catch-all does not count)
        if (a.plugin() != null && (choice.isEmpty() || choice.get().entry().type().equals(PluginRegistry.CONTAINER))) {
            try {
                choice = Optional.of(pinned(a));
            } catch (IOException | org.osgi.framework.BundleException e) {
                String msg = "the plugin " + a.plugin() + " that the workflow pinned for " + a.image() + " cannot run: " + e.getMessage();
                logs.add("worker", msg);
                LOG.warn("{}: {}", a.name(), msg);
                finish(a, ExecutionState.FAILED, msg);
                return;
            }
        }
        if (a.plugin() == null && (choice.isEmpty() || choice.get().entry().type().equals(PluginRegistry.CONTAINER))) {
            try {
                Optional<PluginRegistry.Choice> published = published(a);
                if (published.isPresent()) {
                    choice = published;
                }
            } catch (RegistryPlugins.Refused | OciException | org.osgi.framework.BundleException e) {
                boolean refused = e instanceof RegistryPlugins.Refused || e instanceof org.osgi.framework.BundleException;
                String msg = (refused ? "the plugin published as " + a.image() + " cannot run: " : "cannot ask the registry of " + a.image()
                        + " whether it is a plugin: ") + e.getMessage();
                logs.add("worker", msg);
                LOG.warn("{}: {}", a.name(), msg);
                if (refused || choice.isEmpty()) {
                    finish(a, ExecutionState.FAILED, msg);
                    return;
                }
                // a container image, perhaps: the container plugin pulls it and says why it cannot
            }
        }
        if (choice.isEmpty()) {
            String msg = "no action plugin runs image " + a.image() + ", and no container plugin is installed to run it in a container engine"
                    + " (plugins: " + plugins.entries().stream().map(PluginRegistry.Entry::type).sorted().toList() + ")";
            logs.add("worker", msg);
            LOG.warn("{}: {}", a.name(), msg);
            finish(a, ExecutionState.FAILED, msg);
            return;
        }
        PluginRegistry.Entry plugin = choice.get().entry();
        journal.started(a);
        ActionRun run = new ActionRun(a, id, logs, this::reportBeforeJump);
        String what = a.name() + " (" + a.image() + ") on " + plugin.type() + " from " + plugin.origin() + ", attempt " + a.attempt()
                + (a.resumed() ? ", after a restart of the machine" : "");
        logs.add("worker", "running " + what);
        LOG.info("running {}", what);
        Optional<ExecutionState> workflow = tell(a, new ActionReport(a.workflowId(), a.actionIndex(), ExecutionState.RUNNING,
                "running on " + plugin.type() + " (" + plugin.origin() + ")", null));
        if (workflow.isPresent() && workflow.get().isTerminal()) {
            logs.add("worker", "not running " + a.name() + ": its workflow ended " + workflow.get());
            LOG.info("not running {}: its workflow ended {}", a.name(), workflow.get());
            journal.clearRunning();
            return;
        }
        FutureTask<ActionResult> task = new FutureTask<>(() -> plugin.plugin().execute(run));
        Thread thread = new Thread(task, "action-" + a.name());
        thread.setDaemon(true);
        long start = System.nanoTime();
        thread.start();
        ExecutionState end;
        String message;
        long lastSent = System.nanoTime();
        Progress sentProgress = null;
        while (true) {
            try {
                ActionResult result = task.get(500, TimeUnit.MILLISECONDS);
                end = ExecutionState.SUCCESS;
                message = result == null || result.message() == null ? "done" : result.message();
                break;
            } catch (TimeoutException e) {
                long now = System.nanoTime();
                if (stopping) {
                    stop(run, thread, task);
                    return; // the journal keeps the run; the next start reports it interrupted
                }
                if (now - start >= TimeUnit.SECONDS.toNanos(a.timeout())) {
                    boolean stopped = stop(run, thread, task);
                    end = ExecutionState.TIMEOUT;
                    message = "ran past its timeout of " + a.timeout() + " s" + (stopped ? "" : "; it did not stop within " + grace.toSeconds()
                            + " s of being cancelled");
                    break;
                }
                Progress p = run.latestProgress();
                boolean news = p != null && !p.equals(sentProgress) && now - lastSent >= PROGRESS_EVERY_NANOS;
                if (news || now - lastSent >= HEARTBEAT_EVERY_NANOS) {
                    lastSent = now;
                    sentProgress = p;
                    Optional<ExecutionState> w = tell(a, new ActionReport(a.workflowId(), a.actionIndex(), ExecutionState.RUNNING, null, p));
                    if (w.isPresent() && w.get().isTerminal()) {
                        stop(run, thread, task);
                        String why = "stopped " + a.name() + ": its workflow ended " + w.get() + " on the server";
                        logs.add("worker", why);
                        LOG.info(why);
                        journal.clearRunning();
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // the worker stops: the action must not run on behind its back
                stop(run, thread, task);
                throw e;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof ActionException ae) {
                    end = ae.reason() == ActionException.Reason.TIMEOUT ? ExecutionState.TIMEOUT : ExecutionState.FAILED;
                    message = ae.getMessage();
                } else if (cause instanceof InterruptedException) {
                    end = ExecutionState.FAILED;
                    message = "interrupted";
                } else {
                    end = ExecutionState.FAILED;
                    message = "plugin " + plugin.type() + " (" + plugin.origin() + ") failed: " + cause;
                    LOG.error("plugin {} failed", plugin.type(), cause);
                }
                break;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (run.reportedBeforeJump()) {
            LOG.info("{} returned after reporting success before its jump: {} {}", a.name(), end, message);
            logs.add("worker", a.name() + " reported success before a jump, then returned " + end + ": " + message);
            return;
        }
        logs.add("worker", String.format(java.util.Locale.ROOT, "%s %s after %.1f s: %s", a.name(), end, seconds, message));
        LOG.info("{} {} after {} s: {}", a.name(), end, Math.round(seconds), message);
        logs.flush(Duration.ofSeconds(5)); // the action's lines first, then its end
        finish(a, end, message);
    }

    /** Cancels a run and waits the grace period for it; returns whether it stopped. */
    private boolean stop(ActionRun run, Thread thread, FutureTask<ActionResult> task) throws InterruptedException {
        run.cancel();
        thread.interrupt();
        try {
            task.get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            return true;
        } catch (TimeoutException e) {
            LOG.warn("action {} did not stop within {} s of being cancelled; leaving its thread", run.actionName(), grace.toSeconds());
            return false;
        }
        return true;
    }

    /** Sends a RUNNING report if the server is there; returns the workflow's state, or empty. */
    private Optional<ExecutionState> tell(WorkerAction a, ActionReport report) throws InterruptedException {
        try {
            return Optional.of(client.report(report));
        } catch (ApiException e) {
            if (e.status() == 409) {
                return Optional.of(ExecutionState.CANCELLED); // the server has moved on from this action
            }
            LOG.debug("progress of {} not sent: {}", a.name(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Keeps the final report in the journal, then delivers it (and any older one). */
    private void finish(WorkerAction a, ExecutionState state, String message) throws IOException, InterruptedException {
        journal.finished(new ActionReport(a.workflowId(), a.actionIndex(), state, message, null));
        deliverPending(Long.MAX_VALUE);
    }

    /**
     * Delivers the journal's reports, oldest first, retrying with backoff until the deadline
     * ({@link System#nanoTime()}); returns whether all were delivered. A report the server
     * refuses for good (409: it has moved on) is dropped, with a warning.
     */
    private synchronized boolean deliverPending(long deadline) throws IOException, InterruptedException {
        long backoff = 0;
        for (Journal.Pending p : journal.pending()) {
            while (true) {
                try {
                    client.report(p.report());
                    break;
                } catch (ApiException e) {
                    if (!e.retryable()) {
                        LOG.warn("the server refused the report {} of action {} of workflow {}: {}", p.report().state(),
                                p.report().actionIndex(), p.report().workflowId(), e.getMessage());
                        break;
                    }
                    if (backoff == 0) {
                        LOG.warn("report {} of workflow {} waits for the server: {}", p.report().state(), p.report().workflowId(), e.getMessage());
                    }
                    backoff = Backoff.next(backoff, maxBackoff);
                    if (stopping || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) - deadline > 0) {
                        return false;
                    }
                    Thread.sleep(backoff);
                }
            }
            journal.delivered(p);
        }
        return true;
    }

    /**
     * For an action that will not return (kexec, reboot): its success is journalled and
     * delivered now, within a minute or its deadline; when the server cannot be told, the report
     * is taken back and the action must not jump.
     */
    private void reportBeforeJump(ActionRun run, String message) throws ActionException {
        WorkerAction a = run.action();
        try {
            logs.add("worker", a.name() + " reports success before it jumps: " + message);
            logs.flush(Duration.ofSeconds(5));
            Journal.Pending p = journal.finished(new ActionReport(a.workflowId(), a.actionIndex(), ExecutionState.SUCCESS, message, null));
            long deadline = Math.min(System.nanoTime() + TimeUnit.SECONDS.toNanos(60),
                    System.nanoTime() + Duration.between(java.time.Instant.now(), run.deadline()).toNanos());
            if (deliverPending(deadline) || !Files.exists(p.file())) {
                return;
            }
            journal.delivered(p);
            journal.started(a);
            throw new ActionException(ActionException.Reason.UNAVAILABLE, "the server could not be told of the success before the jump; not jumping");
        } catch (IOException e) {
            throw new ActionException(ActionException.Reason.INTERNAL, "the worker's journal failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActionException(ActionException.Reason.CANCELLED, "interrupted while reporting success before the jump");
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
