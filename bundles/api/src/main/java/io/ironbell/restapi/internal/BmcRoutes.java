package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.auth.Role;
import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcJobEvent;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.bmc.BmcServiceException;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.json.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code /api/v1/bmc}: machines' BMCs ({@code machines}: list, create or replace with their
 * credentials, get, delete; {@code GET machines/{name}/inventory} and {@code /sensors}, read from
 * the BMC now), one-shot commands ({@code machines/{name}/power}, {@code /boot},
 * {@code /media}: each a job of one task, {@code ?wait=true} answers when it ended), jobs (create
 * with Rufio's task shapes, list, get, delete, events, and their live stream), and the drivers
 * deployed. Reading takes a viewer, commands and jobs an operator, machines an admin. 503 in an
 * edition without the bmc bundle.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/bmc/machines", "/api/v1/bmc/machines/{name}", "/api/v1/bmc/machines/{name}/{command}",
        "/api/v1/bmc/jobs", "/api/v1/bmc/jobs/{id}", "/api/v1/bmc/jobs/{id}/events", "/api/v1/bmc/jobs/{id}/events/stream",
        "/api/v1/bmc/drivers"}, methods = {"GET", "POST", "DELETE"})
public final class BmcRoutes implements HttpRoute {

    /** How long {@code ?wait=true} waits for a one-shot command. */
    static final Duration WAIT = Duration.ofSeconds(300);

    private final Auth auth;
    private final Audit audit;
    private final EventStreams streams;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BmcService bmc;

    /** A machine as posted: its fields and, write-only, its credentials. */
    record MachineRequest(String name, String namespace, String host, Integer port, String driver, String authSecretRef, String username,
            String password, Boolean insecureTls, String caPem, Map<String, String> options, String hardwareId) {
    }

    /** A job as posted: Rufio's tasks. */
    record JobRequest(String name, String namespace, String machine, List<JsonNode> tasks, Integer taskTimeoutSeconds, Integer maxAttempts) {
    }

    @Activate
    public BmcRoutes(@Reference Auth auth, @Reference Audit audit, @Reference EventStreams streams) {
        this.auth = auth;
        this.audit = audit;
        this.streams = streams;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        String path = r.path();
        boolean machines = path.startsWith("/api/v1/bmc/machines");
        String command = r.pathParams().get("command");
        Role least = read ? Role.VIEWER : machines && command == null ? Role.ADMIN : Role.OPERATOR;
        // inventory and sensors are read from the BMC: an operator's, as commands are
        if (read && command != null) {
            least = Role.OPERATOR;
        }
        Auth.Caller caller = auth.require(r, least);
        BmcService service = bmc;
        if (service == null) {
            throw new HttpException(503, "unavailable", "this edition has no BMC bundle (io.ironbell.bmc): machines cannot be powered");
        }
        try {
            if (path.equals("/api/v1/bmc/drivers")) {
                requireGet(r);
                return HttpResponse.json(200, Map.of("drivers", service.drivers()));
            }
            if (machines) {
                return machines(r, caller, service, r.pathParams().get("name"), command);
            }
            return jobs(r, caller, service, r.pathParams().get("id"));
        } catch (BmcServiceException e) {
            throw error(e);
        }
    }

    private HttpResponse machines(HttpRequest r, Auth.Caller caller, BmcService service, String name, String command)
            throws HttpException, BmcServiceException {
        if (name == null) {
            return switch (r.method()) {
                case "GET", "HEAD" -> HttpResponse.json(200, Map.of("items", service.machines()));
                case "POST" -> {
                    MachineRequest m = Api.body(r, MachineRequest.class);
                    boolean exists = m.name() != null && service.machines().stream().anyMatch(x -> x.name().equals(m.name()));
                    BmcMachine stored = service.putMachine(BmcMachine.spec(m.name(), m.namespace(), m.host(), m.port() == null ? 0 : m.port(),
                            m.driver(), m.authSecretRef(), Boolean.TRUE.equals(m.insecureTls()), m.caPem(), m.options(), m.hardwareId()),
                            m.username(), m.password());
                    audit.record(caller, exists ? "bmc.machine.update" : "bmc.machine.create", stored.name());
                    yield HttpResponse.json(exists ? 200 : 201, stored);
                }
                default -> throw notAllowed(r);
            };
        }
        BmcMachine m = service.machine(name);
        if (command == null) {
            return switch (r.method()) {
                case "GET", "HEAD" -> HttpResponse.json(200, m);
                case "DELETE" -> {
                    service.deleteMachine(m.name());
                    audit.record(caller, "bmc.machine.delete", m.name());
                    yield HttpResponse.noContent();
                }
                default -> throw notAllowed(r);
            };
        }
        if (command.equals("inventory") || command.equals("sensors")) {
            requireGet(r);
            return HttpResponse.json(200, command.equals("inventory") ? Map.of("inventory", service.inventory(m.name()))
                    : Map.of("sensors", service.sensors(m.name())));
        }
        if (!r.method().equals("POST")) {
            throw notAllowed(r);
        }
        JsonNode body = r.body().length == 0 ? Json.mapper().createObjectNode() : Api.body(r, JsonNode.class);
        BmcAction action;
        try {
            action = switch (command) {
                case "power" -> BmcAction.power(PowerAction.of(text(body, "action")));
                case "boot" -> BmcAction.boot(BootDevice.of(text(body, "device")), body.path("persistent").asBoolean(false),
                        body.path("efiBoot").asBoolean(false));
                case "media" -> BmcAction.media(body.path("url").asText(""));
                default -> throw new HttpException(404, "not_found", "no command " + command + " (power, boot, media)");
            };
        } catch (IllegalArgumentException e) {
            throw new HttpException(422, "invalid_field", e.getMessage());
        }
        String id = m.name() + "-" + command + "-" + Long.toString(System.currentTimeMillis(), 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
        BmcJob job = service.createJob(BmcJob.of(id, m.namespace(), m.name(), null, List.of(action), 0, 0));
        audit.record(caller, "bmc." + command, m.name(), Map.of("job", id, "task", action.describe()));
        if (!r.query("wait").map(Boolean::parseBoolean).orElse(false)) {
            return HttpResponse.json(202, job);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!job.state().ended() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            job = service.job(id);
        }
        return HttpResponse.json(job.state().ended() ? 200 : 202, job);
    }

    private static String text(JsonNode body, String field) throws HttpException {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual()) {
            throw new HttpException(422, "invalid_field", "field " + field + " is required (a string)");
        }
        return v.asText();
    }

    private HttpResponse jobs(HttpRequest r, Auth.Caller caller, BmcService service, String id) throws HttpException, BmcServiceException {
        if (id == null) {
            return switch (r.method()) {
                case "GET", "HEAD" -> HttpResponse.json(200, Map.of("items", service.jobs(r.query("machine").orElse(null),
                        (int) Api.longParam(r, "limit", 100))));
                case "POST" -> {
                    JobRequest j = Api.body(r, JobRequest.class);
                    if (j.tasks() == null) {
                        throw new HttpException(422, "invalid_field", "field tasks is required (Rufio's task actions)");
                    }
                    List<BmcAction> actions = new ArrayList<>();
                    for (int i = 0; i < j.tasks().size(); i++) {
                        try {
                            actions.add(BmcAction.fromRufio(j.tasks().get(i)));
                        } catch (IllegalArgumentException e) {
                            throw new HttpException(422, "invalid_field", "tasks[" + i + "]: " + e.getMessage());
                        }
                    }
                    if (j.machine() == null) {
                        throw new HttpException(422, "invalid_field", "field machine is required");
                    }
                    BmcJob created = service.createJob(BmcJob.of(j.name(), j.namespace(), j.machine(), null, actions,
                            j.taskTimeoutSeconds() == null ? 0 : j.taskTimeoutSeconds(), j.maxAttempts() == null ? 0 : j.maxAttempts()));
                    audit.record(caller, "bmc.job.create", created.id(), Map.of("machine", created.machine()));
                    yield HttpResponse.json(201, created);
                }
                default -> throw notAllowed(r);
            };
        }
        if (r.path().endsWith("/events/stream")) {
            requireGet(r);
            return stream(r, service, id);
        }
        if (r.path().endsWith("/events")) {
            requireGet(r);
            return HttpResponse.json(200, Map.of("items", service.events(id, Api.longParam(r, "after", 0), (int) Api.longParam(r, "limit", 1000))));
        }
        return switch (r.method()) {
            case "GET", "HEAD" -> HttpResponse.json(200, service.job(id));
            case "DELETE" -> {
                service.deleteJob(id);
                audit.record(caller, "bmc.job.delete", id);
                yield HttpResponse.noContent();
            }
            default -> throw notAllowed(r);
        };
    }

    /** The job's events as Server-Sent Events (type {@code event}), ending with the job. */
    private HttpResponse stream(HttpRequest r, BmcService service, String id) throws HttpException, BmcServiceException {
        if (streams.full()) {
            throw new HttpException(503, "overloaded", "too many event streams are open");
        }
        long after = Api.longParam(r, "after", r.header("Last-Event-ID").map(String::trim).filter(v -> v.matches("\\d{1,18}"))
                .map(Long::parseLong).orElse(0L));
        service.job(id);
        return HttpResponse.stream(200, "text/event-stream", out -> {
            streams.opened(out);
            AtomicReference<AutoCloseable> sub = new AtomicReference<>();
            out.onClose(() -> {
                AutoCloseable s = sub.get();
                if (s != null) {
                    try {
                        s.close();
                    } catch (Exception ignored) {
                        // gone either way
                    }
                }
            });
            try {
                sub.set(service.subscribe(id, after, (BmcJobEvent e) -> {
                    if (!EventStreams.send(out, "event", e.seq(), e) || e.type().equals("job.succeeded") || e.type().equals("job.failed")) {
                        out.close();
                    }
                }));
            } catch (BmcServiceException e) {
                out.close();
            }
        }).withHeader("Cache-Control", "no-cache");
    }

    private static void requireGet(HttpRequest r) throws HttpException {
        if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
            throw notAllowed(r);
        }
    }

    private static HttpException notAllowed(HttpRequest r) {
        return new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
    }

    static HttpException error(BmcServiceException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> new HttpException(404, "not_found", e.getMessage());
            case INVALID -> new HttpException(422, "invalid_field", e.getMessage());
            case CONFLICT -> new HttpException(409, "conflict", e.getMessage());
            case UNAVAILABLE -> new HttpException(503, "unavailable", e.getMessage());
        };
    }

    /** For {@code hardware get}: the hardware's BMC and what it last said, or null without one. */
    static Map<String, Object> summary(BmcService service, String hardwareId) {
        if (service == null) {
            return null;
        }
        try {
            BmcMachine m = service.machine(hardwareId);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("machine", m.name());
            out.put("driver", m.driver());
            out.put("host", m.host());
            out.put("powerState", m.powerState().wire());
            out.put("powerCheckedAt", m.powerCheckedAt());
            out.put("contactable", m.contactable());
            out.put("message", m.message());
            return out;
        } catch (BmcServiceException e) {
            return null;
        }
    }
}
