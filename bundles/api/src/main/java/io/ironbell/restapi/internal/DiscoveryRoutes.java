package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.discovery.DiscoveredMachine;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.discovery.DiscoveryStore;
import io.ironbell.api.discovery.EnrollmentRule;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.StoreException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/discovery}: enrollment rules ({@code rules}: list; by name get, PUT, DELETE;
 * {@code rules/NAME/test/MACHINE}: what the rule would do, changing nothing), discovered machines
 * ({@code machines?state=DISCOVERED|ENROLLED}; {@code machines/MACHINE/enroll}: offer it to the rules
 * now), events ({@code events?machine=...}), and a machine's inventory with its history and
 * its attributes as Tinkerbell's agent reports them ({@code inventory/MACHINE}).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/discovery/rules", "/api/v1/discovery/rules/{name}", "/api/v1/discovery/rules/{name}/test/{machine}",
        "/api/v1/discovery/machines", "/api/v1/discovery/machines/{machine}/enroll", "/api/v1/discovery/events",
        "/api/v1/discovery/inventory/{machine}"}, methods = {"GET", "PUT", "POST", "DELETE"})
public final class DiscoveryRoutes implements HttpRoute {

    private final Auth auth;
    private final Audit audit;
    private final DiscoveryService discovery;
    private final DiscoveryStore store;
    private final HardwareLookup lookup;

    @Activate
    public DiscoveryRoutes(@Reference Auth auth, @Reference Audit audit, @Reference DiscoveryService discovery, @Reference DiscoveryStore store,
            @Reference HardwareLookup lookup) {
        this.auth = auth;
        this.audit = audit;
        this.discovery = discovery;
        this.store = store;
        this.lookup = lookup;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        boolean dryRun = r.path().contains("/test/");
        Auth.Caller caller = auth.require(r, read || dryRun ? Role.VIEWER : Role.ADMIN);
        String name = r.pathParams().get("name");
        String machine = r.pathParams().get("machine");
        String path = r.path().substring("/api/v1/discovery/".length());
        try {
            if (path.startsWith("rules")) {
                if (dryRun) {
                    allow(r, "GET", "POST");
                    return HttpResponse.json(200, discovery.test(name, hardware(machine).id()));
                }
                if (name == null) {
                    allow(r, "GET");
                    return HttpResponse.json(200, Map.of("items", store.rules()));
                }
                return switch (r.method()) {
                    case "GET", "HEAD" -> HttpResponse.json(200, store.rule(name).orElseThrow(() -> HttpException.notFound("no rule " + name)));
                    case "PUT" -> {
                        EnrollmentRule body = Api.body(r, EnrollmentRule.class);
                        if (body.name() != null && !body.name().equals(name)) {
                            throw new HttpException(400, "invalid_field", "name: the body names rule " + body.name() + ", the path " + name);
                        }
                        EnrollmentRule stored = discovery.putRule(new EnrollmentRule(name, body.priority(), body.enabled(), body.match(),
                                body.then(), body.maxCount(), 0));
                        audit.record(caller, "rule.put", name);
                        yield HttpResponse.json(200, stored);
                    }
                    case "DELETE" -> {
                        store.deleteRule(name);
                        audit.record(caller, "rule.delete", name);
                        yield HttpResponse.noContent();
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
                };
            }
            if (path.startsWith("machines")) {
                if (machine != null) {
                    allow(r, "POST");
                    Hardware hw = hardware(machine);
                    var decision = discovery.enroll(hw.id());
                    audit.record(caller, "discovery.enroll", hw.id());
                    return HttpResponse.json(200, decision);
                }
                allow(r, "GET");
                String state = r.query("state").orElse(null);
                DiscoveredMachine.State s;
                try {
                    s = state == null ? null : DiscoveredMachine.State.valueOf(state.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new HttpException(400, "invalid_field", "state must be DISCOVERED or ENROLLED, was " + state);
                }
                return HttpResponse.json(200, Map.of("items", store.discoveredMachines(s)));
            }
            if (path.equals("events")) {
                allow(r, "GET");
                String of = r.query("machine").orElse(null);
                int limit = (int) Api.longParam(r, "limit", 100);
                // a machine's events outlive its record: an id no record has still names them
                String id = of == null ? null : lookup.find(of).map(Hardware::id).orElse(of);
                return HttpResponse.json(200, Map.of("items", store.events(id, limit)));
            }
            allow(r, "GET");
            Hardware hw = hardware(machine);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("hardwareId", hw.id());
            io.ironbell.api.discovery.MachineInventory current = store.inventory(hw.id()).orElseThrow(() -> HttpException.notFound("hardware "
                    + hw.id() + " has reported no inventory (it reports when its in-memory OS starts)"));
            out.put("current", current);
            // what rules' Quamina patterns see, as Tinkerbell's agent would report this machine
            out.put("attributes", discovery.attributes(current.inventory()));
            out.put("history", store.history(hw.id()));
            return HttpResponse.json(200, out);
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }

    private Hardware hardware(String key) throws HttpException {
        return lookup.find(key).orElseThrow(() -> HttpException.notFound("no hardware with id, MAC or IP " + key));
    }

    private static void allow(HttpRequest r, String... methods) throws HttpException {
        for (String m : methods) {
            if (m.equals(r.method()) || m.equals("GET") && r.method().equals("HEAD")) {
                return;
            }
        }
        throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path() + "; allowed: " + String.join(", ", methods));
    }
}
