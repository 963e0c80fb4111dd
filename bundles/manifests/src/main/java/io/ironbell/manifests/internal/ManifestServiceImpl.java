package io.ironbell.manifests.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.TinkerbellHardware;
import io.ironbell.api.json.Json;
import io.ironbell.api.manifest.Manifest;
import io.ironbell.api.manifest.ManifestException;
import io.ironbell.api.manifest.ManifestService;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.Transactions;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateService;
import io.ironbell.api.template.TemplateStore;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowRequest;
import io.ironbell.api.workflow.WorkflowService;
import io.ironbell.manifests.internal.ManifestReader.Document;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code apply} and {@code export} of Tinkerbell's objects. A file is read and every object in
 * it checked first (kind, name, the fields Ironbell acts on; a Template's text parsed and
 * rendered for a sample machine), then applied in one transaction: Hardware becomes a hardware
 * record (named by the object), a Template a template (a changed text a new revision), a
 * Workflow a workflow whose id is its name, rendered at once; Machines, Jobs and Secrets are kept
 * (a Secret's values encrypted). Each object is also kept as applied, so that it comes back out
 * with every field.
 */
@Component(service = ManifestService.class)
public final class ManifestServiceImpl implements ManifestService {

    /** Kubernetes' rule for object names (a DNS subdomain). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    /** Marks an exported Secret whose values were left out: applying it keeps the stored values. */
    static final String REDACTED = "ironbell.io/redacted";
    private static final Set<String> SERVER_FIELDS = Set.of("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
            "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds");
    private static final Set<String> BOOT_MODES = Set.of("netboot", "iso", "isoboot", "customboot");

    private final ManifestStore manifests;
    private final Transactions transactions;
    private final HardwareStore hardware;
    private final TemplateService templateService;
    private final TemplateStore templates;
    private final WorkflowService workflows;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BmcService bmc;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile DiscoveryService discovery;

    @Activate
    public ManifestServiceImpl(@Reference ManifestStore manifests, @Reference Transactions transactions, @Reference HardwareStore hardware,
                               @Reference TemplateService templateService, @Reference TemplateStore templates,
                               @Reference WorkflowService workflows) {
        this.manifests = manifests;
        this.transactions = transactions;
        this.hardware = hardware;
        this.templateService = templateService;
        this.templates = templates;
        this.workflows = workflows;
    }

    /** An object checked and ready to apply. */
    private record Item(Document doc, Kind kind, String name, String namespace, ObjectNode object) {
        String ref() {
            return kind.lower() + "/" + name;
        }
    }

    /** A failure while applying an object, which rolls its file back. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(Item item, String message) {
            super(item.doc().at("spec") + ", " + item.ref() + ": " + message);
        }
    }

    // ---- apply ---------------------------------------------------------------------------------

    @Override
    public List<FileResult> apply(List<Source> files) {
        FileResult[] results = new FileResult[files.size()];
        List<Integer> order = new ArrayList<>();
        List<List<Item>> items = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Source f = files.get(i);
            List<String> errors = new ArrayList<>();
            List<Item> checked = check(f, errors);
            items.add(checked);
            if (errors.isEmpty()) {
                order.add(i);
            } else {
                results[i] = new FileResult(f.name(), List.of(), errors);
            }
        }
        // a file of Workflows after the file of the Template and the Hardware they name
        order.sort(Comparator.comparingInt(i -> items.get(i).stream().mapToInt(it -> it.kind().ordinal()).max().orElse(0)));
        for (int i : order) {
            results[i] = applyFile(files.get(i).name(), items.get(i));
        }
        return Arrays.asList(results);
    }

    private FileResult applyFile(String source, List<Item> items) {
        List<Item> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt(it -> it.kind().ordinal()));
        try {
            List<Applied> applied = transactions.<List<Applied>, Exception>atomically(() -> {
                List<Applied> done = new ArrayList<>();
                for (Item it : sorted) {
                    String outcome = applyOne(it);
                    String warning = null;
                    if (it.kind() == Kind.WORKFLOW) {
                        warning = Export.renderingError(workflows.get(it.name()), workflows);
                    } else if ((it.kind() == Kind.MACHINE || it.kind() == Kind.JOB) && bmc == null) {
                        warning = "kept, not acted on: this edition has no BMC bundle (io.ironbell.bmc)";
                    } else if (it.kind() == Kind.WORKFLOW_RULE_SET && discovery == null) {
                        warning = "kept, not acted on: this edition has no discovery bundle (io.ironbell.discovery)";
                    } else if (it.kind() == Kind.WORKFLOW_RULE_SET && it.object().path("spec").path("workflow").path("disabled").asBoolean(false)) {
                        warning = "workflow.disabled: the machines it matches are enrolled without a workflow (Ironbell has no disabled "
                                + "workflows); their attributes are in ironbell hardware inventory MACHINE --attributes";
                    } else if (it.kind() == Kind.MACHINE) {
                        String secret = it.object().path("spec").path("connection").path("authSecretRef").path("name").asText("");
                        if (!secret.isEmpty() && manifests.find(Kind.SECRET.name, secret).isEmpty()) {
                            warning = "its authSecretRef names Secret " + secret + ", which does not exist: its BMC cannot be reached "
                                    + "until that Secret is applied";
                        }
                    }
                    done.add(new Applied(it.kind().lower(), it.name(), outcome, warning));
                }
                return done;
            });
            return new FileResult(source, applied, List.of());
        } catch (Refused e) {
            return new FileResult(source, List.of(), List.of(e.getMessage()));
        } catch (StoreException | WorkflowException e) {
            return new FileResult(source, List.of(), List.of("nothing applied: " + e.getMessage()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String applyOne(Item it) throws Refused, StoreException {
        Optional<Manifest> existing = manifests.find(it.kind().name, it.name());
        if (existing.isPresent() && existing.get().namespace() != null && it.namespace() != null
                && !existing.get().namespace().equals(it.namespace())) {
            throw new Refused(it, "a " + it.kind().name + " of this name exists in namespace " + existing.get().namespace()
                    + " (names are unique across namespaces in Ironbell)");
        }
        return switch (it.kind()) {
            case SECRET -> applySecret(it, existing);
            case HARDWARE -> applyHardware(it, existing);
            case TEMPLATE -> applyTemplate(it, existing);
            case WORKFLOW -> applyWorkflow(it, existing);
            case MACHINE -> applyMachine(it, existing);
            case JOB -> applyJob(it, existing);
            case WORKFLOW_RULE_SET -> applyRuleSet(it, existing);
        };
    }

    /**
     * A WorkflowRuleSet: an enrollment rule of its name whose patterns are its rules, at priority 0
     * (or its annotation {@code ironbell.io/priority}), so that among rule sets the one with most
     * matching rules wins, then the first by name, as Tinkerbell chooses.
     */
    private String applyRuleSet(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        DiscoveryService service = discovery;
        boolean recorded = false;
        if (service != null) {
            EnrollmentRule wanted = ruleOf(it);
            Optional<EnrollmentRule> current = service.rule(it.name());
            recorded = current.isPresent() && sameRule(current.get(), wanted);
            if (!recorded) {
                try {
                    service.putRule(wanted);
                } catch (StoreException e) {
                    if (e.reason() != StoreException.Reason.INVALID) {
                        throw e;
                    }
                    throw new Refused(it, e.getMessage().replace("match.patterns", "spec.rules").replace("then.agentValue",
                            "spec.workflow.template.agentValue"));
                }
            }
        }
        if (existing.isPresent() && same(existing.get().object(), it.object()) && (service == null || recorded)) {
            return "unchanged";
        }
        manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        return existing.isPresent() ? "configured" : "created";
    }

    private static EnrollmentRule ruleOf(Item it) {
        JsonNode spec = it.object().path("spec");
        JsonNode wf = spec.path("workflow");
        JsonNode template = wf.path("template");
        List<String> patterns = new ArrayList<>();
        spec.path("rules").forEach(r -> patterns.add(r.asText()));
        Map<String, String> kvs = new java.util.LinkedHashMap<>();
        template.path("kvs").properties().forEach(e -> kvs.put(e.getKey(), e.getValue().asText()));
        String agentValue = template.path("agentValue").asText("");
        int priority = it.object().path("metadata").path("annotations").path("ironbell.io/priority").asInt(0);
        boolean disabled = wf.path("disabled").asBoolean(false);
        return new EnrollmentRule(it.name(), priority, true,
                new EnrollmentRule.Match(null, null, null, null, null, null, null, null, null, null, patterns),
                new EnrollmentRule.Then(null, Map.of("tinkerbell.org/auto-enrollment", "true"), null,
                        disabled ? null : template.path("ref").asText(), null, agentValue.isEmpty() ? null : agentValue,
                        kvs.isEmpty() ? null : kvs, null), 0, 0);
    }

    private static boolean sameRule(EnrollmentRule a, EnrollmentRule b) {
        return a.priority() == b.priority() && a.enabled().equals(b.enabled()) && a.match().equals(b.match()) && a.then().equals(b.then())
                && a.maxCount() == b.maxCount();
    }

    /** A Rufio Machine: its BMC record (the hardware whose bmcRef names it powered by it) and the object as applied. */
    private String applyMachine(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        BmcService service = bmc;
        String hardwareId = null;
        for (Manifest h : manifests.list(Kind.HARDWARE.name)) {
            if (it.name().equals(h.object().path("spec").path("bmcRef").path("name").asText(null))) {
                hardwareId = h.name();
                break;
            }
        }
        boolean recorded = false;
        if (service != null) {
            try {
                BmcMachine current = null;
                try {
                    current = service.machine(it.name());
                } catch (BmcServiceException e) {
                    if (e.reason() != BmcServiceException.Reason.NOT_FOUND) {
                        throw e;
                    }
                }
                recorded = current != null;
                BmcMachine wanted = Rufio.machine(it.name(), it.namespace(), it.object().path("spec"), hardwareId);
                if (!recorded || !sameMachine(current, wanted)) {
                    service.putMachine(wanted, null, null);
                    recorded = false;
                }
            } catch (BmcServiceException e) {
                throw new Refused(it, e.getMessage());
            }
        }
        if (existing.isPresent() && same(existing.get().object(), it.object()) && (service == null || recorded)) {
            return "unchanged";
        }
        manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        return existing.isPresent() ? "configured" : "created";
    }

    private static boolean sameMachine(BmcMachine a, BmcMachine b) {
        return a.host().equals(b.host()) && a.port() == b.port() && a.driver().equals(b.driver())
                && java.util.Objects.equals(a.authSecretRef(), b.authSecretRef()) && a.insecureTls() == b.insecureTls()
                && a.options().equals(b.options()) && java.util.Objects.equals(a.hardwareId(), b.hardwareId());
    }

    /** A Rufio Job: a BMC job of its name, run once; its tasks cannot change afterwards (as a Workflow's spec). */
    private String applyJob(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        if (existing.isPresent()) {
            if (same(existing.get().object(), it.object())) {
                return "unchanged";
            }
            if (!same(existing.get().object().path("spec"), it.object().path("spec"))) {
                throw new Refused(it, "a Job's spec cannot change once it was created: delete it (ironbell bmc job delete "
                        + it.name() + ") and apply it again");
            }
        }
        BmcService service = bmc;
        if (service != null && existing.isEmpty()) {
            JsonNode spec = it.object().path("spec");
            try {
                service.createJob(BmcJob.of(it.name(), it.namespace(), spec.path("machineRef").path("name").asText(), null,
                        Rufio.tasks(spec), 0, 0));
            } catch (BmcServiceException e) {
                throw new Refused(it, e.getMessage());
            }
        }
        manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        return existing.isPresent() ? "configured" : "created";
    }

    private String applySecret(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        ObjectNode object = it.object().deepCopy();
        boolean redacted = "true".equals(object.path("metadata").path("annotations").path(REDACTED).asText());
        JsonNode data = object.remove("data");
        JsonNode stringData = object.remove("stringData");
        if (redacted) {
            ObjectNode annotations = (ObjectNode) object.path("metadata").path("annotations");
            annotations.remove(REDACTED);
            if (annotations.isEmpty()) {
                ((ObjectNode) object.get("metadata")).remove("annotations");
            }
        }
        Map<String, byte[]> given = new LinkedHashMap<>();
        if (data != null) {
            data.properties().forEach(e -> given.put(e.getKey(), Base64.getDecoder().decode(e.getValue().asText())));
        }
        if (stringData != null) {
            stringData.properties().forEach(e -> given.put(e.getKey(), e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
        }
        Map<String, byte[]> values = given;
        Map<String, byte[]> old = Map.of();
        if (existing.isPresent()) {
            try {
                old = manifests.secret(it.name());
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.NOT_FOUND) {
                    throw e;
                }
            }
        }
        if (redacted) {
            if (existing.isEmpty()) {
                throw new Refused(it, "its values were left out when it was exported (" + REDACTED + "); give them to create it");
            }
            values = old;
        }
        if (existing.isPresent() && same(existing.get().object(), object) && sameValues(old, values)) {
            return "unchanged";
        }
        manifests.put(it.kind().name, it.name(), it.namespace(), object);
        manifests.putSecret(it.name(), values);
        return existing.isPresent() ? "configured" : "created";
    }

    private static boolean sameValues(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private String applyHardware(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        boolean recorded = true;
        try {
            hardware.get(it.name());
        } catch (StoreException e) {
            if (e.reason() != StoreException.Reason.NOT_FOUND) {
                throw e;
            }
            recorded = false;
        }
        if (existing.isPresent() && recorded && same(existing.get().object(), it.object())) {
            return "unchanged";
        }
        Hardware record = TinkerbellHardware.toHardware(it.name(), it.object().path("spec"));
        try {
            hardware.push(record);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.CONFLICT || e.reason() == StoreException.Reason.INVALID) {
                throw new Refused(it, e.getMessage());
            }
            throw e;
        }
        manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        linkBmc(it);
        return existing.isPresent() || recorded ? "configured" : "created";
    }

    /** A Hardware whose bmcRef names a Machine applied before: that BMC powers this hardware from now on. */
    private void linkBmc(Item it) throws Refused {
        String ref = it.object().path("spec").path("bmcRef").path("name").asText(null);
        BmcService service = bmc;
        if (ref == null || service == null) {
            return;
        }
        try {
            BmcMachine m = service.machine(ref);
            if (!it.name().equals(m.hardwareId()) && m.name().equals(ref)) {
                service.putMachine(BmcMachine.spec(m.name(), m.namespace(), m.host(), m.port(), m.driver(), m.authSecretRef(), m.insecureTls(),
                        m.caPem(), m.options(), it.name()), null, null);
            }
        } catch (BmcServiceException e) {
            if (e.reason() != BmcServiceException.Reason.NOT_FOUND) {
                throw new Refused(it, "spec.bmcRef: " + e.getMessage());
            }
        }
    }

    private String applyTemplate(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        String data = it.object().path("spec").path("data").asText();
        TemplateRecord current = null;
        try {
            current = templates.get(it.name());
        } catch (StoreException e) {
            if (e.reason() != StoreException.Reason.NOT_FOUND) {
                throw e;
            }
        }
        String outcome;
        try {
            if (current == null) {
                templateService.create(it.name(), data);
                outcome = "created";
            } else if (!current.data().equals(data)) {
                templateService.update(it.name(), data, current.revision());
                outcome = "configured";
            } else {
                outcome = existing.isPresent() && same(existing.get().object(), it.object()) ? "unchanged" : "configured";
            }
        } catch (TemplateException e) {
            throw new Refused(it, "spec.data: " + e.getMessage());
        }
        if (!outcome.equals("unchanged")) {
            manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        }
        return outcome;
    }

    private String applyWorkflow(Item it, Optional<Manifest> existing) throws Refused, StoreException {
        Workflow current = null;
        try {
            current = workflows.get(it.name());
        } catch (WorkflowException e) {
            if (e.reason() != WorkflowException.Reason.NOT_FOUND) {
                throw new Refused(it, e.getMessage());
            }
        }
        JsonNode spec = it.object().path("spec");
        String outcome;
        // a workflow whose template did not render is rendered again, as Tinkerbell keeps trying
        boolean unrendered;
        try {
            unrendered = current != null && Export.renderingError(current, workflows) != null;
        } catch (WorkflowException e) {
            throw new Refused(it, e.getMessage());
        }
        if (current != null && existing.isPresent() && same(existing.get().object().path("spec"), spec) && !unrendered) {
            outcome = same(existing.get().object(), it.object()) ? "unchanged" : "configured";
        } else {
            try {
                if (current != null) {
                    boolean started = !unrendered && (current.state() != ExecutionState.PENDING
                            || current.actions().stream().anyMatch(a -> a.attempts() > 0));
                    if (started) {
                        throw new Refused(it, "the workflow is " + current.state() + " and its spec cannot change once it has started; "
                                + "delete it (ironbell workflow delete " + it.name() + ") to apply it again");
                    }
                    workflows.delete(it.name());
                }
                Map<String, String> map = new LinkedHashMap<>();
                spec.path("hardwareMap").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
                String hardwareRef = spec.path("hardwareRef").asText("");
                JsonNode bootOptions = spec.get("bootOptions");
                Workflow made = workflows.create(new WorkflowRequest(it.name(), spec.path("templateRef").asText(), map, hardwareRef,
                        bootOptions == null || bootOptions.isNull() ? null : bootOptions));
                boolean stillUnrendered = unrendered && Export.renderingError(made, workflows) != null;
                outcome = current == null ? "created"
                        : stillUnrendered && existing.isPresent() && same(existing.get().object(), it.object()) ? "unchanged" : "configured";
            } catch (WorkflowException e) {
                throw new Refused(it, e.getMessage());
            }
        }
        if (!outcome.equals("unchanged")) {
            manifests.put(it.kind().name, it.name(), it.namespace(), it.object());
        }
        return outcome;
    }

    /** The same content, whatever number types either side was read with. */
    private static boolean same(JsonNode a, JsonNode b) {
        try {
            return Json.mapper().readTree(Json.mapper().writeValueAsString(a)).equals(Json.mapper().readTree(Json.mapper().writeValueAsString(b)));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    // ---- checks before anything is applied -----------------------------------------------------

    private List<Item> check(Source f, List<String> errors) {
        List<Item> items = new ArrayList<>();
        if (f.text().getBytes(StandardCharsets.UTF_8).length > MAX_FILE_BYTES) {
            errors.add("the file is larger than " + MAX_FILE_BYTES + " bytes");
            return items;
        }
        List<Document> docs;
        try {
            docs = ManifestReader.read(f.text());
        } catch (ManifestReader.Unreadable e) {
            errors.add(e.getMessage());
            return items;
        }
        if (docs.isEmpty()) {
            errors.add("no objects in it");
        }
        Set<String> seen = new HashSet<>();
        for (Document d : docs) {
            try {
                Item it = checkOne(d);
                if (!seen.add(it.ref())) {
                    throw new Invalid(d, "metadata.name", it.ref() + " appears twice in this file");
                }
                items.add(it);
            } catch (Invalid e) {
                errors.add(e.getMessage());
            }
        }
        return items;
    }

    /** An object that cannot be applied: the message names the document, the line and the field. */
    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(Document d, String field, String message) {
            super(d.at(field) + ": " + field + ": " + message);
        }
    }

    private Item checkOne(Document d) throws Invalid {
        ObjectNode o = d.object();
        String kindName = text(d, o, "kind", true);
        Kind kind = Kind.of(kindName).orElseThrow(() -> new Invalid(d, "kind", "'" + kindName
                + "' is not a kind Ironbell applies (Hardware, Template, Workflow, WorkflowRuleSet, Machine, Job, Secret)"));
        String apiVersion = text(d, o, "apiVersion", true);
        if (!apiVersion.equals(kind.apiVersion)) {
            throw new Invalid(d, "apiVersion", "must be " + kind.apiVersion + " for a " + kind.name + ", was " + apiVersion);
        }
        JsonNode metadata = o.get("metadata");
        if (!(metadata instanceof ObjectNode)) {
            throw new Invalid(d, "metadata", "is required, with a name");
        }
        String name = text(d, metadata, "metadata.name", true);
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            throw new Invalid(d, "metadata.name", "'" + name + "' is not a valid name: lower-case letters, digits, '-' and '.', "
                    + "starting and ending with a letter or digit, at most 253 characters");
        }
        String namespace = metadata.hasNonNull("namespace") ? text(d, metadata, "metadata.namespace", true) : null;
        ObjectNode clean = o.deepCopy();
        clean.remove("status");
        ((ObjectNode) clean.get("metadata")).remove(SERVER_FIELDS);
        JsonNode spec = o.get("spec");
        if (kind != Kind.SECRET && !(spec instanceof ObjectNode)) {
            throw new Invalid(d, "spec", "is required and must be a mapping");
        }
        switch (kind) {
            case HARDWARE -> checkHardware(d, name, spec);
            case TEMPLATE -> checkTemplate(d, spec);
            case WORKFLOW -> checkWorkflow(d, spec);
            case MACHINE -> {
                JsonNode c = spec.get("connection");
                if (!(c instanceof ObjectNode)) {
                    throw new Invalid(d, "spec.connection", "is required: host, port, authSecretRef");
                }
                text(d, c, "spec.connection.host", true);
                if (c.has("port") && (!c.get("port").canConvertToInt() || c.get("port").asInt() < 0 || c.get("port").asInt() > 65535)) {
                    throw new Invalid(d, "spec.connection.port", "must be a port number, was " + c.get("port"));
                }
                if (c.has("insecureTLS") && !c.get("insecureTLS").isBoolean()) {
                    throw new Invalid(d, "spec.connection.insecureTLS", "must be true or false, was " + c.get("insecureTLS"));
                }
                if (c.has("authSecretRef")) {
                    text(d, c.get("authSecretRef"), "spec.connection.authSecretRef.name", true);
                }
                if ("0".equals(c.path("providerOptions").path("ipmitool").path("cipherSuite").asText())) {
                    throw new Invalid(d, "spec.connection.providerOptions.ipmitool.cipherSuite",
                            "0 authenticates nothing (any password is accepted): refused");
                }
            }
            case JOB -> {
                text(d, spec.path("machineRef"), "spec.machineRef.name", true);
                if (!spec.path("tasks").isArray() || spec.path("tasks").isEmpty()) {
                    throw new Invalid(d, "spec.tasks", "must be a list of at least one task");
                }
                for (int i = 0; i < spec.path("tasks").size(); i++) {
                    try {
                        io.ironbell.api.bmc.BmcAction.fromRufio(spec.path("tasks").get(i));
                    } catch (IllegalArgumentException e) {
                        throw new Invalid(d, "spec.tasks[" + i + "]", e.getMessage());
                    }
                }
            }
            case SECRET -> checkSecret(d, o);
            case WORKFLOW_RULE_SET -> checkRuleSet(d, spec);
        }
        return new Item(d, kind, name, namespace, clean);
    }

    private void checkHardware(Document d, String name, JsonNode spec) throws Invalid {
        JsonNode interfaces = spec.path("interfaces");
        if (!interfaces.isMissingNode() && !interfaces.isArray()) {
            throw new Invalid(d, "spec.interfaces", "must be a list");
        }
        for (int i = 0; i < interfaces.size(); i++) {
            String field = "spec.interfaces[" + i + "].dhcp.mac";
            JsonNode dhcp = interfaces.get(i).path("dhcp");
            if (dhcp.isMissingNode()) {
                continue;
            }
            String mac = text(d, dhcp, field, true);
            try {
                MacAddress.parse(mac);
            } catch (IllegalArgumentException e) {
                throw new Invalid(d, field, e.getMessage());
            }
        }
        try {
            TinkerbellHardware.toHardware(name, spec);
        } catch (IllegalArgumentException e) {
            throw new Invalid(d, "spec", e.getMessage());
        }
    }

    private void checkTemplate(Document d, JsonNode spec) throws Invalid {
        String data = text(d, spec, "spec.data", true);
        try {
            templateService.validate(data);
        } catch (TemplateException e) {
            // the text usually starts on the line after "data: |"
            String where = e.line() > 0 ? "template line " + e.line() + " (line " + (d.lineOf("spec.data") + e.line()) + " of the file): " : "";
            throw new Invalid(d, "spec.data", where + e.getMessage().replaceFirst("^line \\d+: ", ""));
        }
    }

    private static void checkWorkflow(Document d, JsonNode spec) throws Invalid {
        text(d, spec, "spec.templateRef", true);
        JsonNode map = spec.get("hardwareMap");
        if (!(map instanceof ObjectNode) || map.isEmpty()) {
            throw new Invalid(d, "spec.hardwareMap", "is required: the template's keys (device_1) mapped to MAC addresses");
        }
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new Invalid(d, "spec.hardwareMap." + e.getKey(), "must be text, was " + e.getValue());
            }
        }
        if (spec.has("hardwareRef")) {
            text(d, spec, "spec.hardwareRef", false);
        }
        JsonNode boot = spec.get("bootOptions");
        if (boot != null && !boot.isNull()) {
            if (!boot.isObject()) {
                throw new Invalid(d, "spec.bootOptions", "must be a mapping (toggleAllowNetboot, bootMode, isoURL)");
            }
            if (boot.has("toggleAllowNetboot") && !boot.get("toggleAllowNetboot").isBoolean()) {
                throw new Invalid(d, "spec.bootOptions.toggleAllowNetboot", "must be true or false, was " + boot.get("toggleAllowNetboot"));
            }
            if (boot.has("bootMode") && !BOOT_MODES.contains(boot.get("bootMode").asText())) {
                throw new Invalid(d, "spec.bootOptions.bootMode", "must be one of netboot, iso, isoboot, customboot, was "
                        + boot.get("bootMode"));
            }
        }
    }

    private static void checkRuleSet(Document d, JsonNode spec) throws Invalid {
        JsonNode rules = spec.get("rules");
        if (rules == null || !rules.isArray() || rules.isEmpty()) {
            throw new Invalid(d, "spec.rules", "must be a list of Quamina patterns (JSON text), at least one");
        }
        for (int i = 0; i < rules.size(); i++) {
            if (!rules.get(i).isTextual()) {
                throw new Invalid(d, "spec.rules[" + i + "]", "must be a pattern as JSON text ('{\"product\": {\"vendor\": [\"QEMU\"]}}'), was "
                        + rules.get(i));
            }
        }
        JsonNode wf = spec.path("workflow");
        JsonNode template = wf.path("template");
        if (!wf.path("disabled").asBoolean(false)) {
            text(d, template, "spec.workflow.template.ref", true);
        }
        if (template.has("agentValue")) {
            text(d, template, "spec.workflow.template.agentValue", false);
        }
        JsonNode kvs = template.get("kvs");
        if (kvs != null && !kvs.isNull()) {
            if (!kvs.isObject()) {
                throw new Invalid(d, "spec.workflow.template.kvs", "must be a mapping of keys to text");
            }
            for (Map.Entry<String, JsonNode> e : kvs.properties()) {
                if (!e.getValue().isTextual()) {
                    throw new Invalid(d, "spec.workflow.template.kvs." + e.getKey(), "must be text, was " + e.getValue());
                }
            }
        }
        for (String flag : List.of("disabled", "addAttributes")) {
            if (wf.has(flag) && !wf.get(flag).isBoolean()) {
                throw new Invalid(d, "spec.workflow." + flag, "must be true or false, was " + wf.get(flag));
            }
        }
    }

    private static void checkSecret(Document d, JsonNode o) throws Invalid {
        JsonNode data = o.path("data");
        if (!data.isMissingNode() && !data.isObject()) {
            throw new Invalid(d, "data", "must be a mapping of keys to base64 values");
        }
        boolean redacted = "true".equals(o.path("metadata").path("annotations").path(REDACTED).asText());
        for (Map.Entry<String, JsonNode> e : data.properties()) {
            if (!e.getValue().isTextual()) {
                throw new Invalid(d, "data." + e.getKey(), "must be base64 text");
            }
            if (!redacted) {
                try {
                    Base64.getDecoder().decode(e.getValue().asText());
                } catch (IllegalArgumentException bad) {
                    throw new Invalid(d, "data." + e.getKey(), "is not base64: " + bad.getMessage());
                }
            }
        }
        JsonNode stringData = o.path("stringData");
        if (!stringData.isMissingNode() && !stringData.isObject()) {
            throw new Invalid(d, "stringData", "must be a mapping of keys to text");
        }
    }

    private static String text(Document d, JsonNode parent, String field, boolean required) throws Invalid {
        String last = field.substring(field.lastIndexOf('.') + 1);
        JsonNode v = parent.get(last);
        if (v == null || v.isNull()) {
            if (required) {
                throw new Invalid(d, field, "is required");
            }
            return "";
        }
        if (!v.isTextual()) {
            throw new Invalid(d, field, "must be text, was " + v);
        }
        if (required && v.asText().isBlank()) {
            throw new Invalid(d, field, "must not be empty");
        }
        return v.asText();
    }

    // ---- export --------------------------------------------------------------------------------

    @Override
    public ObjectNode export(String kindName, String name) throws ManifestException {
        Kind kind = Kind.typed(kindName).orElseThrow(() -> new ManifestException(ManifestException.Reason.INVALID,
                "'" + kindName + "' is not a kind: hardware, template, workflow, workflowruleset, machine, job or secret"));
        try {
            return Export.of(kind, name, manifests, hardware, templates, workflows, bmc);
        } catch (StoreException e) {
            throw new ManifestException(e.reason() == StoreException.Reason.NOT_FOUND ? ManifestException.Reason.NOT_FOUND
                    : ManifestException.Reason.UNAVAILABLE, e.getMessage());
        } catch (WorkflowException e) {
            throw new ManifestException(e.reason() == WorkflowException.Reason.NOT_FOUND ? ManifestException.Reason.NOT_FOUND
                    : ManifestException.Reason.UNAVAILABLE, e.getMessage());
        }
    }
}
