package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.auth.Role;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/workflows}: create ({@code {"template": "...", "hardware": {"device_1": "MAC"}}}),
 * list, get, cancel ({@code POST .../cancel}), retry ({@code POST .../retry}: a new workflow of the same
 * template and hardware for one that failed, timed out or was cancelled), delete, events ({@code ?after=&limit=}), the live
 * event stream ({@code .../events/stream}, Server-Sent Events, ending with the workflow), and the
 * ephemeral data ({@code GET/PUT .../data}).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/workflows", "/api/v1/workflows/{id}", "/api/v1/workflows/{id}/{sub}",
        "/api/v1/workflows/{id}/events/stream"}, methods = {"GET", "POST", "PUT", "DELETE"})
public final class WorkflowRoutes implements HttpRoute {

    /** The body of a create request. */
    record CreateRequest(String template, Map<String, String> hardware) {
    }

    private final Auth auth;
    private final Audit audit;
    private final WorkflowService engine;
    private final EventStreams streams;

    @Activate
    public WorkflowRoutes(@Reference Auth auth, @Reference Audit audit, @Reference WorkflowService engine, @Reference EventStreams streams) {
        this.auth = auth;
        this.audit = audit;
        this.engine = engine;
        this.streams = streams;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        // reading is a viewer's, running workflows (create, cancel, delete, their data) an operator's
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        Auth.Caller caller = auth.require(r, read ? Role.VIEWER : Role.OPERATOR);
        String id = r.pathParams().get("id");
        String sub = r.pathParams().get("sub");
        String m = r.method().equals("HEAD") ? "GET" : r.method();
        try {
            if (id == null) {
                return switch (m) {
                    case "GET" -> HttpResponse.json(200, Api.page(engine.list(Api.page(r))));
                    case "POST" -> {
                        CreateRequest c = Api.body(r, CreateRequest.class);
                        if (c.template() == null || c.template().isBlank()) {
                            throw new HttpException(400, "invalid_field", "field template is required");
                        }
                        if (c.hardware() == null) {
                            throw new HttpException(400, "invalid_field", "field hardware is required: {\"device_1\": \"<MAC>\"}");
                        }
                        Workflow created = engine.create(c.template(), c.hardware());
                        audit.record(caller, "workflow.create", created.id(), Map.of("template", c.template()));
                        yield HttpResponse.json(201, created);
                    }
                    default -> throw notAllowed(r);
                };
            }
            if (r.path().endsWith("/events/stream")) {
                return stream(r, id);
            }
            if (sub == null) {
                return switch (m) {
                    case "GET" -> HttpResponse.json(200, engine.get(id));
                    case "DELETE" -> {
                        engine.delete(id);
                        audit.record(caller, "workflow.delete", id);
                        yield HttpResponse.noContent();
                    }
                    default -> throw notAllowed(r);
                };
            }
            return switch (sub + " " + m) {
                case "cancel POST" -> {
                    Workflow cancelled = engine.cancel(id);
                    audit.record(caller, "workflow.cancel", id);
                    yield HttpResponse.json(200, cancelled);
                }
                case "retry POST" -> {
                    Workflow old = engine.get(id);
                    if (!old.state().isTerminal() || old.state() == ExecutionState.SUCCESS) {
                        throw new HttpException(409, "conflict", "workflow " + id + " is " + old.state()
                                + ": only a failed, timed-out or cancelled workflow is retried");
                    }
                    Workflow again = engine.create(old.templateId(), old.hardwareMap());
                    audit.record(caller, "workflow.retry", again.id(), Map.of("of", id));
                    yield HttpResponse.json(201, again);
                }
                case "events GET" -> HttpResponse.json(200, Map.of("items", engine.events(id, Api.longParam(r, "after", 0),
                        (int) Api.longParam(r, "limit", PageRequest.DEFAULT_LIMIT))));
                case "data GET" -> HttpResponse.json(200, engine.data(id));
                case "data PUT" -> {
                    engine.putData(id, Api.body(r, JsonNode.class));
                    audit.record(caller, "workflow.data", id);
                    yield HttpResponse.json(200, engine.data(id));
                }
                default -> throw new HttpException(404, "not_found", "no route for " + r.method() + " " + r.path());
            };
        } catch (WorkflowException e) {
            throw Api.error(e);
        }
    }

    private HttpResponse stream(HttpRequest r, String id) throws WorkflowException, HttpException {
        if (streams.full()) {
            throw new HttpException(503, "overloaded", "too many event streams are open");
        }
        long after = Api.longParam(r, "after", lastEventId(r));
        List<WorkflowEvent> past = engine.events(id, after, PageRequest.MAX_LIMIT);
        boolean ended = engine.get(id).state().isTerminal();
        return HttpResponse.stream(200, "text/event-stream", out -> {
            streams.opened(out);
            AtomicReference<AutoCloseable> sub = new AtomicReference<>();
            out.onClose(() -> closeQuietly(sub.get()));
            long last = after;
            for (WorkflowEvent e : past) {
                EventStreams.send(out, "event", e.sequence(), e);
                last = e.sequence();
            }
            if (ended) {
                out.close();
                return;
            }
            long seen = last;
            try {
                sub.set(engine.subscribe(id, e -> {
                    if (e.sequence() <= seen) {
                        return;
                    }
                    if (!EventStreams.send(out, "event", e.sequence(), e)) {
                        out.close();
                    } else if (e.action() == null && e.state() != null && e.state().isTerminal() && e.state() != ExecutionState.PENDING) {
                        out.close();
                    }
                }));
            } catch (WorkflowException e) {
                out.close();
            }
        }).withHeader("Cache-Control", "no-cache");
    }

    /** The SSE reconnect header: the sequence of the last event the client saw; 0 without one. */
    private static long lastEventId(HttpRequest r) throws HttpException {
        String v = r.header("Last-Event-ID").map(String::trim).orElse("");
        if (v.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new HttpException(400, "invalid_header", "header Last-Event-ID must be the whole number of an event's id, was '"
                    + (v.length() > 40 ? v.substring(0, 40) + "..." : v) + "'");
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the subscription is gone either way
            }
        }
    }

    private static HttpException notAllowed(HttpRequest r) {
        return new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
    }
}
