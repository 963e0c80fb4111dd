package io.ironbell.manifests.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.TinkerbellHardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.manifest.Manifest;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.Task;
import io.ironbell.api.template.TemplateAction;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateStore;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Records written back as Tinkerbell's objects: the object as applied (or, for a record that was
 * not, the object Tinkerbell would have), with the record's current content where it has one
 * (a Template's newest text) and a Workflow's status in Tinkerbell's shape.
 */
final class Export {

    private Export() {
    }

    static ObjectNode of(Kind kind, String name, ManifestStore manifests, HardwareStore hardware, TemplateStore templates,
                         WorkflowService workflows, BmcService bmc) throws StoreException, WorkflowException {
        Optional<Manifest> applied = manifests.find(kind.name, name);
        ObjectNode object = applied.map(m -> m.object().deepCopy()).orElseGet(() -> Json.mapper().createObjectNode());
        ObjectNode metadata = object.get("metadata") instanceof ObjectNode m ? m : object.putObject("metadata");
        metadata.put("name", name);
        ObjectNode spec = object.get("spec") instanceof ObjectNode s ? s : null;
        ObjectNode status = null;
        switch (kind) {
            case HARDWARE -> {
                if (applied.isEmpty()) {
                    spec = (ObjectNode) TinkerbellHardware.toObject(hardware.get(name)).get("spec");
                    spec.remove("auto");
                }
            }
            case TEMPLATE -> {
                TemplateRecord t = templates.get(name);
                if (spec == null) {
                    spec = Json.mapper().createObjectNode();
                }
                spec.put("data", t.data());
                applied = applied.or(() -> Optional.of(new Manifest(kind.name, name, null, object, t.revision(), t.createdAt(), t.updatedAt())));
            }
            case WORKFLOW -> {
                Workflow w = workflows.get(name);
                if (spec == null) {
                    spec = Json.mapper().createObjectNode();
                    spec.put("templateRef", templates.get(w.templateId()).name());
                    ObjectNode map = spec.putObject("hardwareMap");
                    w.hardwareMap().forEach(map::put);
                    if (w.bootOptions() != null) {
                        spec.set("bootOptions", w.bootOptions());
                    }
                }
                status = workflowStatus(w, renderingError(w, workflows));
                if (applied.isEmpty()) {
                    metadata.put("creationTimestamp", time(w.createdAt()));
                }
            }
            case SECRET -> {
                if (applied.isEmpty()) {
                    throw new StoreException(StoreException.Reason.NOT_FOUND, "no Secret " + name);
                }
                ObjectNode data = object.putObject("data");
                for (String key : manifests.secret(name).keySet()) {
                    data.put(key, "");
                }
                ObjectNode annotations = metadata.get("annotations") instanceof ObjectNode a ? a : metadata.putObject("annotations");
                annotations.put(ManifestServiceImpl.REDACTED, "true");
            }
            case WORKFLOW_RULE_SET -> {
                if (applied.isEmpty()) {
                    throw new StoreException(StoreException.Reason.NOT_FOUND, "no WorkflowRuleSet " + name);
                }
            }
            case MACHINE, JOB -> {
                if (applied.isEmpty()) {
                    throw new StoreException(StoreException.Reason.NOT_FOUND, "no " + kind.name + " " + name);
                }
                if (bmc != null) {
                    try {
                        status = kind == Kind.MACHINE ? Rufio.machineStatus(bmc.machine(name)) : Rufio.jobStatus(bmc.job(name));
                    } catch (BmcServiceException e) {
                        // applied before the BMC bundle came: no status to give
                    }
                }
            }
        }
        if (applied.isPresent()) {
            metadata.put("creationTimestamp", time(applied.get().createdAt()));
            metadata.put("generation", applied.get().generation());
        }
        // Kubernetes' order: apiVersion, kind, metadata, spec (or a Secret's data), status, then the rest as applied
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("apiVersion", kind.apiVersion);
        out.put("kind", kind.name);
        out.set("metadata", metadata);
        if (spec != null) {
            out.set("spec", spec);
        }
        object.properties().forEach(e -> {
            if (!out.has(e.getKey()) && !e.getKey().equals("status")) {
                out.set(e.getKey(), e.getValue());
            }
        });
        if (status != null) {
            out.set("status", status);
        }
        return out;
    }

    private static String time(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Why the workflow's template did not render (its first event), or null when it rendered. */
    static String renderingError(Workflow w, WorkflowService workflows) throws WorkflowException {
        if (w.state() != ExecutionState.FAILED || !w.actions().isEmpty() || !w.template().tasks().isEmpty()) {
            return null;
        }
        List<io.ironbell.api.workflow.WorkflowEvent> first = workflows.events(w.id(), 0, 1);
        return first.isEmpty() ? "the template did not render" : first.get(0).message();
    }

    /** Tinkerbell's WorkflowStatus of a workflow: its state, the current action, every task's actions with their own. */
    static ObjectNode workflowStatus(Workflow w, String renderingError) {
        ObjectNode status = Json.mapper().createObjectNode();
        List<ActionStatus> actions = w.actions();
        String agent = actions.isEmpty() ? "" : actions.get(w.current().isPresent() ? w.currentAction() : 0).worker();
        if (!agent.isEmpty()) {
            status.put("agentID", agent);
        }
        status.put("state", w.state().name());
        status.put("templateRendering", renderingError == null ? "successful" : "failed");
        Integer globalTimeout = w.template().globalTimeout();
        if (globalTimeout != null) {
            status.put("globalTimeout", globalTimeout.longValue());
            if (w.startedAt() != null) {
                status.put("globalExecutionStop", time(w.startedAt().plusSeconds(globalTimeout)));
            }
        }
        if (!actions.isEmpty()) {
            int at = Math.min(w.currentAction(), actions.size() - 1);
            ActionStatus a = actions.get(at);
            ObjectNode current = status.putObject("currentState");
            current.put("agentID", a.worker());
            current.put("taskID", id(w, a.task(), null));
            current.put("actionID", id(w, a.task(), a.name()));
            current.put("state", a.state().name());
            current.put("actionName", a.name());
            current.put("taskName", a.task());
        }
        ArrayNode tasks = status.putArray("tasks");
        int index = 0;
        for (Task t : w.template().tasks()) {
            ObjectNode task = tasks.addObject();
            task.put("id", id(w, t.name(), null));
            task.put("name", t.name());
            String worker = index < actions.size() ? actions.get(index).worker() : t.worker();
            task.put("agentID", worker);
            ArrayNode list = task.putArray("actions");
            for (TemplateAction ta : t.actions()) {
                ActionStatus s = index < actions.size() ? actions.get(index) : null;
                index++;
                ObjectNode action = list.addObject();
                action.put("id", id(w, t.name(), ta.name()));
                action.put("name", ta.name());
                action.put("image", ta.image());
                if (ta.timeout() != null) {
                    action.put("timeout", ta.timeout().longValue());
                }
                strings(action, "command", ta.command());
                strings(action, "volumes", ta.volumes());
                if (ta.pid() != null && !ta.pid().isEmpty()) {
                    action.put("pid", ta.pid());
                }
                env(action, ta.environment());
                if (s != null) {
                    action.put("state", s.state().name());
                    if (s.startedAt() != null) {
                        action.put("executionStart", time(s.startedAt()));
                    }
                    if (s.finishedAt() != null) {
                        action.put("executionStop", time(s.finishedAt()));
                        if (s.startedAt() != null) {
                            action.put("executionDuration", goDuration(Duration.between(s.startedAt(), s.finishedAt())));
                        }
                    }
                    if (s.message() != null && !s.message().isEmpty()) {
                        action.put("message", s.message());
                    }
                }
            }
            strings(task, "volumes", t.volumes());
            env(task, t.environment());
        }
        ObjectNode rendered = status.putArray("conditions").addObject();
        rendered.put("type", "TemplateRenderedSuccess");
        rendered.put("status", renderingError == null ? "True" : "False");
        rendered.put("reason", renderingError == null ? "Complete" : "Error");
        rendered.put("message", renderingError == null ? "template rendered successfully" : renderingError);
        rendered.put("time", time(w.createdAt()));
        if (w.state() == ExecutionState.CANCELLED) {
            status.put("message", "cancelled (a state Tinkerbell does not have)");
        }
        return status;
    }

    private static void strings(ObjectNode o, String field, List<String> values) {
        if (values != null && !values.isEmpty()) {
            ArrayNode a = o.putArray(field);
            values.forEach(a::add);
        }
    }

    private static void env(ObjectNode o, Map<String, String> env) {
        if (env != null && !env.isEmpty()) {
            ObjectNode e = o.putObject("environment");
            new java.util.TreeMap<>(env).forEach(e::put); // a Go map: encoding/json writes its keys sorted
        }
    }

    /** A stable id for a task or an action of a workflow, where Tinkerbell has a random UUID. */
    private static String id(Workflow w, String task, String action) {
        return UUID.nameUUIDFromBytes((w.id() + "/" + task + (action == null ? "" : "/" + action)).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Go's time.Duration.String() of a duration known to the millisecond. */
    static String goDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long s = ms / 1000 % 60;
        long frac = ms % 1000;
        String sec = s + (frac > 0 ? ("." + String.format("%03d", frac)).replaceAll("0+$", "") : "") + "s";
        return h > 0 ? h + "h" + m + "m" + sec : m > 0 ? m + "m" + sec : sec;
    }
}
