package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.discovery.Inventory;
import io.ironbell.api.discovery.RuleDecision;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The worker side, {@code /api/v1/worker/{mac}/...}: {@code GET next} (200 with the action, 204
 * when there is none; with {@code ?wait=SECONDS}, up to 30, a long poll answered the moment one is due), {@code POST report}, {@code POST logs}, {@code POST inventory} (what the machine is), {@code GET/PUT
 * workflows/{id}/data}, {@code GET plugins/{digest}} (a plugin bundle a workflow pinned) and {@code GET trusted-keys} (the keys that must
 * have signed a plugin the worker pulls from a registry). A worker is served only its own machine's work (see {@link Auth}).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/worker/{mac}/{op}", "/api/v1/worker/{mac}/workflows/{id}/data", "/api/v1/worker/{mac}/plugins/{digest}"},
        methods = {"GET", "POST", "PUT"})
public final class WorkerRoutes implements HttpRoute {

    /** Most lines one request may append. */
    static final int MAX_LINES = 1000;
    /**
     * Longest report message taken; a longer one is cut and ends with an ellipsis. The engine cuts
     * there too (its StateMachine): this keeps the rest of the way, logs included, small.
     */
    static final int MAX_MESSAGE_CHARS = 2048;

    /** The body of a log append: lines with optional time, source and severity. */
    record LogBatch(List<Line> lines) {
        record Line(String text, String source, String severity, Instant at) {
        }
    }

    private final Auth auth;
    private final WorkflowService engine;
    private final MachineLogStore logs;
    private final HardwareLookup hardware;

    /** The plugin repository, when the store runs it. */
    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    volatile io.ironbell.api.plugin.PluginRepository plugins;

    /** Discovery, when it runs: it keeps machines' inventories and enrolls discovered machines. */
    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    volatile DiscoveryService discovery;

    @Activate
    public WorkerRoutes(@Reference Auth auth, @Reference WorkflowService engine, @Reference MachineLogStore logs,
                        @Reference HardwareLookup hardware) {
        this.auth = auth;
        this.engine = engine;
        this.logs = logs;
        this.hardware = hardware;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        MacAddress mac = auth.requireWorker(r, r.pathParam("mac"));
        String worker = mac.toString();
        try {
            String digest = r.pathParams().get("digest");
            if (digest != null) {
                if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
                    throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path() + "; allowed: GET");
                }
                byte[] jar = repository().content(digest).orElseThrow(() -> new HttpException(404, "not_found", "no plugin " + digest
                        + " in the repository (deleted after the workflow pinned it?)"));
                return HttpResponse.of(200, "application/java-archive", jar);
            }
            String id = r.pathParams().get("id");
            if (id != null) {
                ownWorkflow(id, worker);
                return switch (r.method()) {
                    case "GET", "HEAD" -> HttpResponse.json(200, engine.data(id));
                    case "PUT" -> {
                        engine.putData(id, Api.body(r, JsonNode.class));
                        yield HttpResponse.json(200, engine.data(id));
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
                };
            }
            return switch (r.pathParam("op") + " " + r.method()) {
                case "next GET" -> {
                    long wait = Api.longParam(r, "wait", 0);
                    if (wait < 0 || wait > WorkflowService.MAX_WAIT.toSeconds()) {
                        throw new HttpException(400, "invalid_field", "wait must be 0 to " + WorkflowService.MAX_WAIT.toSeconds()
                                + " seconds, was " + wait);
                    }
                    if (wait == 0) {
                        Optional<WorkerAction> next = engine.nextAction(worker);
                        yield next.isPresent() ? HttpResponse.json(200, next.get()) : HttpResponse.noContent();
                    }
                    // a long poll: answered the moment an action is due, or with 204 after `wait` seconds
                    yield HttpResponse.later(engine.awaitNextAction(worker, java.time.Duration.ofSeconds(wait)).handle((next, failure) -> {
                        if (failure == null) {
                            return next.isPresent() ? HttpResponse.json(200, next.get()) : HttpResponse.noContent();
                        }
                        // a claim after the wait failed (the database away): said as the claim at once would say it
                        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        if (!(cause instanceof WorkflowException we)) {
                            throw new java.util.concurrent.CompletionException(cause);
                        }
                        HttpException he = Api.error(we);
                        return HttpResponse.json(he.status(), Map.of("code", he.code(), "message", he.getMessage()));
                    }));
                }
                case "report POST" -> {
                    ActionReport report = Api.body(r, ActionReport.class);
                    if (report.workflowId() == null || report.state() == null) {
                        throw new HttpException(400, "invalid_field", "fields workflowId, actionIndex and state are required");
                    }
                    if (report.message() != null && report.message().length() > MAX_MESSAGE_CHARS) {
                        report = new ActionReport(report.workflowId(), report.actionIndex(), report.state(), cut(report.message()),
                                report.progress());
                    }
                    Workflow w = engine.report(worker, report);
                    yield HttpResponse.json(200, Map.of("workflow", w.id(), "state", w.state(), "currentAction", w.currentAction()));
                }
                case "trusted-keys GET" -> HttpResponse.json(200, Map.of("trustedKeys", repository().trustedKeys()));
                case "inventory POST" -> inventory(mac, Api.body(r, Inventory.class), r.remoteAddress().getAddress());
                case "logs POST" -> {
                    appendLogs(worker, Api.body(r, LogBatch.class));
                    yield HttpResponse.noContent();
                }
                default -> throw new HttpException(404, "not_found", "no route for " + r.method() + " " + r.path());
            };
        } catch (WorkflowException e) {
            throw Api.error(e);
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }

    /** Most disks, NICs or PCI functions one report may list. */
    static final int MAX_INVENTORY_ITEMS = 4096;

    /**
     * The machine's inventory: stored, and, for a machine waiting to be enrolled, offered to the
     * rules. When the rule that enrolls it gives it another address than the one it calls from,
     * the answer says which ({@code address}): the worker renews its lease at once, for its
     * workflow is served to the record's address only.
     */
    private HttpResponse inventory(MacAddress mac, Inventory inventory, java.net.InetAddress from) throws HttpException, StoreException {
        DiscoveryService d = discovery;
        if (d == null) {
            throw new HttpException(503, "unavailable", "inventories are not taken: the discovery bundle is not running");
        }
        for (Map.Entry<String, Integer> e : Map.of("disks", inventory.disks().size(), "nics", inventory.nics().size(), "pci",
                inventory.pci().size()).entrySet()) {
            if (e.getValue() > MAX_INVENTORY_ITEMS) {
                throw new HttpException(400, "invalid_field", e.getKey() + ": " + e.getValue() + " entries, at most " + MAX_INVENTORY_ITEMS);
            }
        }
        Hardware hw = hardware.byMac(mac).orElseThrow(() -> HttpException.notFound("no hardware with MAC " + mac));
        RuleDecision decision = d.report(hw.id(), inventory);
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("hardwareId", hw.id());
        if (decision != null) {
            out.put("matches", decision.matches());
            out.put("rule", decision.rule());
            out.put("workflow", decision.workflow());
            out.put("reasons", decision.reasons());
            String now = decision.hardware() == null ? null : decision.hardware().interfaceByMac(mac)
                    .map(i -> i.dhcp() == null || i.dhcp().ip() == null ? null : i.dhcp().ip().address()).orElse(null);
            if (now != null && !now.equals(from.getHostAddress())) {
                out.put("address", now);
            }
        }
        return HttpResponse.json(200, out);
    }

    private io.ironbell.api.plugin.PluginRepository repository() throws HttpException {
        io.ironbell.api.plugin.PluginRepository repo = plugins;
        if (repo == null) {
            throw new HttpException(503, "unavailable", "the plugin repository is not running");
        }
        return repo;
    }

    /** The first characters of a too long message, and an ellipsis; never half a surrogate pair. */
    static String cut(String message) {
        int keep = MAX_MESSAGE_CHARS - 1;
        if (Character.isHighSurrogate(message.charAt(keep - 1))) {
            keep--;
        }
        return message.substring(0, keep) + "…";
    }

    private void ownWorkflow(String id, String worker) throws WorkflowException, HttpException {
        Workflow w = engine.get(id);
        if (w.actions().stream().noneMatch(a -> a.worker().equals(worker))) {
            throw new HttpException(403, "forbidden", "workflow " + id + " has no action for worker " + worker);
        }
    }

    private void appendLogs(String worker, LogBatch batch) throws HttpException, StoreException {
        if (batch.lines() == null || batch.lines().isEmpty()) {
            throw new HttpException(400, "invalid_field", "field lines must hold at least one line");
        }
        if (batch.lines().size() > MAX_LINES) {
            throw new HttpException(413, "too_many_lines", "at most " + MAX_LINES + " lines per request, got " + batch.lines().size());
        }
        Hardware hw = hardware.byMac(MacAddress.parse(worker))
                .orElseThrow(() -> new HttpException(404, "not_found", "no hardware with MAC " + worker));
        List<LogLine> lines = new ArrayList<>(batch.lines().size());
        for (int i = 0; i < batch.lines().size(); i++) {
            LogBatch.Line l = batch.lines().get(i);
            if (l == null || l.text() == null) {
                throw new HttpException(400, "invalid_field", "field lines[" + i + "].text is required");
            }
            lines.add(new LogLine(0, hw.id(), l.at() == null ? Instant.now() : l.at(), l.source() == null ? "worker" : l.source(),
                    l.severity(), l.text()));
        }
        logs.append(lines);
    }
}
