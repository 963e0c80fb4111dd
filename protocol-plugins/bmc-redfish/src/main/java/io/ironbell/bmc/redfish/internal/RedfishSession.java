package io.ironbell.bmc.redfish.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.api.bmc.SensorReading;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One Redfish service, logged in: a session ({@code X-Auth-Token}, deleted on close) unless the
 * machine asks for basic auth ({@code useBasicAuth}) or the service has no session service; the
 * computer system found once (the first, or {@code systemName}); slow operations followed through
 * their task monitor.
 */
final class RedfishSession implements BmcSession {

    private final RedfishHttp http;
    private final BmcEndpoint endpoint;
    private final String systemPath;
    private final List<String> quirks;
    private final Duration taskTimeout;
    private String sessionPath;

    RedfishSession(RedfishHttp http, BmcEndpoint endpoint, Quirks known) throws BmcException {
        this.http = http;
        this.endpoint = endpoint;
        this.taskTimeout = Duration.ofSeconds(Long.parseLong(endpoint.option("taskTimeoutSeconds", "300")));
        String user = endpoint.username() == null ? "" : endpoint.username();
        String password = endpoint.password() == null ? "" : endpoint.password();
        JsonNode root = http.get("/redfish/v1/").body();
        String sessions = root.path("Links").path("Sessions").path("@odata.id").asText("/redfish/v1/SessionService/Sessions");
        if (Boolean.parseBoolean(endpoint.option("useBasicAuth", "false"))) {
            http.basicAuth(user, password);
        } else {
            try {
                RedfishHttp.Response r = http.post(sessions, Map.of("UserName", user, "Password", password));
                http.sessionToken(r.token().orElseThrow(() -> new BmcException(Reason.REFUSED, "the BMC at " + http.base()
                        + " made a session without an X-Auth-Token")));
                sessionPath = r.location().map(l -> l.startsWith("http") ? java.net.URI.create(l).getPath() : l)
                        .orElse(r.body().path("@odata.id").asText(null));
            } catch (BmcException e) {
                if (e.reason() != Reason.UNSUPPORTED) {
                    throw e;
                }
                http.basicAuth(user, password);
            }
        }
        try {
            this.systemPath = system(root);
            JsonNode system = http.get(systemPath).body();
            this.quirks = known.of(system.path("Manufacturer").asText(""), system.path("Model").asText(""));
        } catch (BmcException e) {
            close();
            throw e;
        }
    }

    private String system(JsonNode root) throws BmcException {
        String collection = root.path("Systems").path("@odata.id").asText("/redfish/v1/Systems");
        List<String> members = new ArrayList<>();
        http.get(collection).body().path("Members").forEach(m -> members.add(m.path("@odata.id").asText()));
        if (members.isEmpty()) {
            throw new BmcException(Reason.REFUSED, "the BMC at " + http.base() + " lists no computer system");
        }
        String wanted = endpoint.option("systemName", "");
        if (wanted.isEmpty()) {
            return members.get(0);
        }
        for (String m : members) {
            if (m.endsWith("/" + wanted)) {
                return m;
            }
        }
        throw new BmcException(Reason.CONFIG, "the BMC at " + http.base() + " has no system " + wanted + " (it has " + members + ")");
    }

    @Override
    public PowerState powerState() throws BmcException {
        String state = http.get(systemPath).body().path("PowerState").asText("");
        return switch (state) {
            case "On", "PoweringOff", "Paused" -> PowerState.ON;
            case "Off", "PoweringOn" -> PowerState.OFF;
            default -> throw new BmcException(Reason.REFUSED, "the BMC at " + http.base() + " gave PowerState '" + state + "'");
        };
    }

    @Override
    public void power(PowerAction action) throws BmcException {
        if (action == PowerAction.STATUS) {
            powerState();
            return;
        }
        JsonNode reset = http.get(systemPath).body().path("Actions").path("#ComputerSystem.Reset");
        String target = reset.path("target").asText(systemPath + "/Actions/ComputerSystem.Reset");
        List<String> allowed = new ArrayList<>();
        reset.path("ResetType@Redfish.AllowableValues").forEach(v -> allowed.add(v.asText()));
        if (action == PowerAction.CYCLE && (quirks.contains(Quirks.CYCLE_AS_OFF_ON) || !allowed.isEmpty() && !allowed.contains("PowerCycle"))) {
            if (powerState() == PowerState.ON) {
                reset(target, allowed, "ForceOff");
            }
            reset(target, allowed, "On");
            return;
        }
        reset(target, allowed, switch (action) {
            case ON -> "On";
            case OFF -> "ForceOff";
            case SOFT -> "GracefulShutdown";
            case CYCLE -> "PowerCycle";
            case RESET -> "ForceRestart";
            case STATUS -> throw new IllegalStateException();
        });
    }

    private void reset(String target, List<String> allowed, String type) throws BmcException {
        if (!allowed.isEmpty() && !allowed.contains(type)) {
            throw new BmcException(Reason.UNSUPPORTED, "the BMC at " + http.base() + " does not offer ResetType " + type + " (it offers "
                    + allowed + ")");
        }
        follow(http.post(target, Map.of("ResetType", type)), "ResetType " + type);
    }

    @Override
    public void bootDevice(BootDevice device, boolean persistent, boolean efi) throws BmcException {
        RedfishHttp.Response current = http.get(systemPath);
        JsonNode boot = current.body().path("Boot");
        String target = switch (device) {
            case PXE -> "Pxe";
            case DISK -> "Hdd";
            case CDROM -> "Cd";
            case BIOS -> "BiosSetup";
        };
        List<String> targets = new ArrayList<>();
        boot.path("BootSourceOverrideTarget@Redfish.AllowableValues").forEach(v -> targets.add(v.asText()));
        if (!targets.isEmpty() && !targets.contains(target)) {
            throw new BmcException(Reason.UNSUPPORTED, "the BMC at " + http.base() + " cannot boot from " + target + " (it offers " + targets + ")");
        }
        Map<String, Object> override = new LinkedHashMap<>();
        override.put("BootSourceOverrideTarget", target);
        override.put("BootSourceOverrideEnabled", persistent ? "Continuous" : "Once");
        List<String> modes = new ArrayList<>();
        boot.path("BootSourceOverrideMode@Redfish.AllowableValues").forEach(v -> modes.add(v.asText()));
        String mode = efi ? "UEFI" : "Legacy";
        if (!quirks.contains(Quirks.OMIT_BOOT_MODE) && (modes.isEmpty() || modes.contains(mode)) && boot.has("BootSourceOverrideMode")) {
            override.put("BootSourceOverrideMode", mode);
        }
        follow(http.patch(systemPath, Map.of("Boot", override), current.etag().orElse(null)), "boot override " + target);
    }

    @Override
    public void insertMedia(String url) throws BmcException {
        String cd = cdPath();
        JsonNode media = http.get(cd).body();
        if (media.path("Inserted").asBoolean(false) || !media.path("Image").asText("").isEmpty()) {
            eject(cd, media);
        }
        String action = media.path("Actions").path("#VirtualMedia.InsertMedia").path("target").asText("");
        if (action.isEmpty() || quirks.contains(Quirks.MEDIA_BY_PATCH)) {
            follow(http.patch(cd, Map.of("Image", url, "Inserted", true), null), "insert " + url);
        } else if (quirks.contains(Quirks.MINIMAL_INSERT_BODY)) {
            follow(http.post(action, Map.of("Image", url)), "insert " + url);
        } else {
            follow(http.post(action, Map.of("Image", url, "Inserted", true, "WriteProtected", true)), "insert " + url);
        }
    }

    @Override
    public void ejectMedia() throws BmcException {
        String cd = cdPath();
        JsonNode media = http.get(cd).body();
        if (media.path("Inserted").asBoolean(false) || !media.path("Image").asText("").isEmpty()) {
            eject(cd, media);
        }
    }

    private void eject(String cd, JsonNode media) throws BmcException {
        String action = media.path("Actions").path("#VirtualMedia.EjectMedia").path("target").asText("");
        if (action.isEmpty() || quirks.contains(Quirks.MEDIA_BY_PATCH)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("Image", null);
            body.put("Inserted", false);
            follow(http.patch(cd, body, null), "eject");
        } else {
            follow(http.post(action, Map.of()), "eject");
        }
    }

    /** The virtual CD: under the system's managers (most BMCs), else under the system itself (newer schemas). */
    private String cdPath() throws BmcException {
        JsonNode system = http.get(systemPath).body();
        List<String> collections = new ArrayList<>();
        for (JsonNode m : system.path("Links").path("ManagedBy")) {
            JsonNode manager = http.get(m.path("@odata.id").asText()).body();
            if (manager.has("VirtualMedia")) {
                collections.add(manager.path("VirtualMedia").path("@odata.id").asText());
            }
        }
        if (system.has("VirtualMedia")) {
            collections.add(system.path("VirtualMedia").path("@odata.id").asText());
        }
        for (String c : collections) {
            for (JsonNode member : http.get(c).body().path("Members")) {
                String path = member.path("@odata.id").asText();
                for (JsonNode type : http.get(path).body().path("MediaTypes")) {
                    if (type.asText().equals("CD") || type.asText().equals("DVD")) {
                        return path;
                    }
                }
            }
        }
        throw new BmcException(Reason.UNSUPPORTED, "the BMC at " + http.base() + " has no virtual CD or DVD");
    }

    /** Waits for a 202's task monitor until the task ends; any other success returns at once. */
    private void follow(RedfishHttp.Response r, String what) throws BmcException {
        if (r.status() != 202) {
            return;
        }
        Optional<String> monitor = r.location().or(() -> Optional.ofNullable(r.body().path("@odata.id").asText(null)));
        if (monitor.isEmpty()) {
            return;
        }
        String path = monitor.get().startsWith("http") ? java.net.URI.create(monitor.get()).getPath() : monitor.get();
        long deadline = System.nanoTime() + taskTimeout.toNanos();
        String state = "Running";
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BmcException(Reason.TIMEOUT, what + ": interrupted while its task " + path + " was " + state);
            }
            RedfishHttp.Response t = http.get(path);
            state = t.body().path("TaskState").asText(t.status() == 202 ? "Running" : "Completed");
            if (t.status() != 202 && !state.equals("Running") && !state.equals("New") && !state.equals("Starting")
                    && !state.equals("Pending")) {
                if (state.equals("Completed")) {
                    return;
                }
                String message = t.body().path("Messages").path(0).path("Message").asText("");
                throw new BmcException(Reason.REFUSED, what + ": task " + path + " ended " + state + (message.isEmpty() ? "" : ": " + message));
            }
        }
        throw new BmcException(Reason.TIMEOUT, what + ": task " + path + " still " + state + " after " + taskTimeout.toSeconds()
                + " s (taskTimeoutSeconds)");
    }

    @Override
    public Map<String, String> inventory() throws BmcException {
        JsonNode s = http.get(systemPath).body();
        Map<String, String> out = new LinkedHashMap<>();
        for (String[] f : new String[][] {{"manufacturer", "Manufacturer"}, {"product", "Model"}, {"serial", "SerialNumber"},
                {"uuid", "UUID"}, {"biosVersion", "BiosVersion"}, {"sku", "SKU"}}) {
            if (s.hasNonNull(f[1]) && !s.path(f[1]).asText().isEmpty()) {
                out.put(f[0], s.path(f[1]).asText());
            }
        }
        if (s.path("ProcessorSummary").has("Count")) {
            out.put("processors", s.path("ProcessorSummary").path("Count").asText());
        }
        if (s.path("MemorySummary").has("TotalSystemMemoryGiB")) {
            out.put("memoryGiB", s.path("MemorySummary").path("TotalSystemMemoryGiB").asText());
        }
        return out;
    }

    @Override
    public List<SensorReading> sensors() throws BmcException {
        List<SensorReading> out = new ArrayList<>();
        for (JsonNode c : http.get(systemPath).body().path("Links").path("Chassis")) {
            JsonNode chassis = http.get(c.path("@odata.id").asText()).body();
            if (!chassis.has("Thermal")) {
                continue;
            }
            JsonNode thermal = http.get(chassis.path("Thermal").path("@odata.id").asText()).body();
            for (JsonNode t : thermal.path("Temperatures")) {
                out.add(new SensorReading(t.path("Name").asText(), t.path("ReadingCelsius").isNumber() ? t.path("ReadingCelsius").asDouble() : null,
                        "Cel", t.path("Status").path("Health").asText(null)));
            }
            for (JsonNode f : thermal.path("Fans")) {
                out.add(new SensorReading(f.path("Name").asText(), f.path("Reading").isNumber() ? f.path("Reading").asDouble() : null,
                        f.path("ReadingUnits").asText("RPM"), f.path("Status").path("Health").asText(null)));
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (sessionPath != null) {
            try {
                http.delete(sessionPath);
            } catch (BmcException e) {
                // the session times out on the BMC
            }
            sessionPath = null;
        }
    }
}
