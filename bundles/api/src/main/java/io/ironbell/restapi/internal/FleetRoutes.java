package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.fleet.FleetView;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.StoreException;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/fleet}: the fleet at a glance, for dashboards. {@code GET machines}: one summary
 * per machine (record, power, discovery, last seen, boot stage, newest workflow), or one
 * ({@code machines/{key}}, by hardware id, MAC or IP); {@code GET machines/{key}/workflows} (by hardware id, MAC or IP): its workflows, newest first
 * ({@code ?limit=}, 50 by default); {@code GET stream}: Server-Sent Events, {@code machine} with a
 * summary whenever one changes (at most once a second each; {@code ?machine=KEY} or
 * {@code ?workflow=ID} for one machine's), {@code removed} when a record is deleted,
 * {@code reload} when changes may have been missed. A running action's progress is not a
 * workflow event: this stream is where it shows.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/fleet/machines", "/api/v1/fleet/machines/{key}", "/api/v1/fleet/machines/{key}/workflows",
        "/api/v1/fleet/stream"})
public final class FleetRoutes implements HttpRoute {

    private final Auth auth;
    private final FleetView fleet;
    private final FleetFeed feed;
    private final EventStreams streams;
    private final HardwareLookup lookup;

    @Activate
    public FleetRoutes(@Reference Auth auth, @Reference FleetView fleet, @Reference FleetFeed feed, @Reference EventStreams streams,
            @Reference HardwareLookup lookup) {
        this.auth = auth;
        this.fleet = fleet;
        this.feed = feed;
        this.streams = streams;
        this.lookup = lookup;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        auth.require(r, Role.VIEWER);
        if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
            throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
        }
        try {
            if (r.path().endsWith("/stream")) {
                if (streams.full()) {
                    throw new HttpException(503, "overloaded", "too many event streams are open");
                }
                String machine = r.query("machine").orElse(null);
                String workflow = r.query("workflow").orElse(null);
                String id = machine == null ? null
                        : lookup.find(machine).map(Hardware::id).orElseThrow(() -> HttpException.notFound("no hardware with id, MAC or IP " + machine));
                java.util.function.Predicate<io.ironbell.api.fleet.MachineSummary> which = id != null ? m -> m.hardwareId().equals(id)
                        : workflow != null ? m -> m.workflow() != null && m.workflow().id().equals(workflow) : null;
                return HttpResponse.stream(200, "text/event-stream", out -> {
                    streams.opened(out);
                    feed.follow(out, which);
                }).withHeader("Cache-Control", "no-cache");
            }
            String key = r.pathParams().get("key");
            if (key != null) {
                Hardware hw = lookup.find(key).orElseThrow(() -> HttpException.notFound("no hardware with id, MAC or IP " + key));
                if (!r.path().endsWith("/workflows")) {
                    return HttpResponse.json(200, fleet.machine(hw.id()).orElseThrow(() -> HttpException.notFound("no hardware " + key)));
                }
                int limit = (int) Api.longParam(r, "limit", 50);
                if (limit < 1 || limit > 1000) {
                    throw new HttpException(400, "invalid_parameter", "limit must be 1 to 1000, was " + limit);
                }
                return HttpResponse.json(200, Map.of("items", fleet.workflowsOf(hw.id(), limit)));
            }
            return HttpResponse.json(200, Map.of("items", fleet.machines()));
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }
}
