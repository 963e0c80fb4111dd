package io.ironbell.manifests.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcTask;
import io.ironbell.api.json.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rufio's {@code bmc.tinkerbell.org/v1alpha1} objects and Ironbell's BMC records: a Machine's
 * {@code spec.connection} becomes a {@link BmcMachine} (driver from {@code providerOptions}:
 * {@code preferredOrder}'s first, else the one provider given, else {@code auto}), a Job's tasks a
 * {@link BmcJob}; and their status written back in Rufio's shape.
 */
final class Rufio {

    private Rufio() {
    }

    /** Rufio's provider names and Ironbell's drivers. */
    private static final Map<String, String> PROVIDERS = Map.of("ipmitool", "ipmi", "redfish", "redfish", "gofish", "redfish");

    static BmcMachine machine(String name, String namespace, JsonNode spec, String hardwareId) {
        JsonNode c = spec.path("connection");
        JsonNode p = c.path("providerOptions");
        String driver = BmcMachine.AUTO;
        for (JsonNode o : p.path("preferredOrder")) {
            String d = PROVIDERS.get(o.asText());
            if (d != null) {
                driver = d;
                break;
            }
        }
        if (driver.equals(BmcMachine.AUTO)) {
            boolean ipmi = p.has("ipmitool");
            boolean redfish = p.has("redfish");
            if (ipmi != redfish) {
                driver = ipmi ? "ipmi" : "redfish";
            }
        }
        Map<String, String> options = new LinkedHashMap<>();
        JsonNode own = p.path(driver.equals("ipmi") ? "ipmitool" : "redfish");
        int port = c.path("port").asInt(0);
        if (own.path("port").asInt(0) > 0) {
            port = own.path("port").asInt();
        }
        if (own.hasNonNull("cipherSuite")) {
            options.put("cipherSuite", own.get("cipherSuite").asText());
        }
        if (own.hasNonNull("systemName")) {
            options.put("systemName", own.get("systemName").asText());
        }
        if (own.path("useBasicAuth").asBoolean(false)) {
            options.put("useBasicAuth", "true");
        }
        return BmcMachine.spec(name, namespace, c.path("host").asText(), port, driver, c.path("authSecretRef").path("name").asText(null),
                c.path("insecureTLS").asBoolean(false), null, options, hardwareId);
    }

    /** Rufio's Machine status: {@code powerState} and the {@code Contactable} condition. */
    static ObjectNode machineStatus(BmcMachine m) {
        ObjectNode status = Json.mapper().createObjectNode();
        status.put("powerState", m.powerState().wire());
        if (m.contactable() != null) {
            ObjectNode cond = status.putArray("conditions").addObject();
            cond.put("type", "Contactable").put("status", m.contactable() ? "True" : "False");
            if (m.message() != null) {
                cond.put("message", m.message());
            }
            if (m.powerCheckedAt() != null) {
                cond.put("lastUpdateTime", time(m.powerCheckedAt()));
            }
        }
        return status;
    }

    static List<BmcAction> tasks(JsonNode spec) {
        List<BmcAction> actions = new java.util.ArrayList<>();
        for (JsonNode t : spec.path("tasks")) {
            actions.add(BmcAction.fromRufio(t));
        }
        return actions;
    }

    /** Rufio's Job status: a {@code Running}, {@code Completed} or {@code Failed} condition, start and completion times. */
    static ObjectNode jobStatus(BmcJob j) {
        ObjectNode status = Json.mapper().createObjectNode();
        ArrayNode conditions = status.putArray("conditions");
        String type = switch (j.state()) {
            case PENDING -> null;
            case RUNNING -> "Running";
            case SUCCEEDED -> "Completed";
            case FAILED -> "Failed";
        };
        if (type != null) {
            ObjectNode cond = conditions.addObject().put("type", type).put("status", "True");
            if (j.message() != null) {
                cond.put("message", j.message());
            }
        }
        if (j.startedAt() != null) {
            status.put("startTime", time(j.startedAt()));
        }
        if (j.state() == BmcJob.State.SUCCEEDED && j.finishedAt() != null) {
            status.put("completionTime", time(j.finishedAt()));
        }
        ArrayNode tasks = status.putArray("tasks");
        for (BmcTask t : j.tasks()) {
            ObjectNode o = tasks.addObject();
            o.set("task", t.action().toRufio());
            o.put("state", t.state().name()).put("attempts", t.attempts());
            if (t.message() != null) {
                o.put("message", t.message());
            }
        }
        return status;
    }

    private static String time(Instant t) {
        return java.time.format.DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }
}
