package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.auth.Role;
import io.ironbell.api.bmc.BmcService;
import io.ironbell.api.discovery.DiscoveredMachine;
import io.ironbell.api.discovery.DiscoveryStore;
import io.ironbell.api.discovery.MachineInventory;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code /api/v1/hardware}: push Tinkerbell hardware JSON (POST, create or replace), list
 * (GET, paged), and by id, MAC address or IP address: get (GET, with {@code bmc}: its BMC's last power
 * state, when it has one; {@code inventory}: what it last reported; {@code discovery}: how it was
 * discovered and enrolled) and delete (DELETE).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/hardware", "/api/v1/hardware/{key}"}, methods = {"GET", "POST", "DELETE"})
public final class HardwareRoutes implements HttpRoute {

    private final Auth auth;
    private final Audit audit;
    private final HardwareStore store;
    private final HardwareLookup lookup;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BmcService bmc;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile DiscoveryStore discovery;

    @Activate
    public HardwareRoutes(@Reference Auth auth, @Reference Audit audit, @Reference HardwareStore store, @Reference HardwareLookup lookup) {
        this.auth = auth;
        this.audit = audit;
        this.store = store;
        this.lookup = lookup;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        Auth.Caller caller = auth.require(r, read ? Role.VIEWER : Role.ADMIN);
        String key = r.pathParams().get("key");
        try {
            if (key == null) {
                return switch (r.method()) {
                    case "GET", "HEAD" -> HttpResponse.json(200, Api.page(store.list(Api.page(r))));
                    case "POST" -> {
                        Hardware hw = Api.body(r, Hardware.class);
                        boolean exists = hw.id() != null && lookup.byId(hw.id()).isPresent();
                        Hardware pushed = store.push(hw);
                        audit.record(caller, exists ? "hardware.update" : "hardware.create", pushed.id());
                        yield HttpResponse.json(exists ? 200 : 201, pushed);
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on /api/v1/hardware");
                };
            }
            Hardware hw = lookup.find(key).orElseThrow(() -> HttpException.notFound("no hardware with id, MAC or IP " + key));
            return switch (r.method()) {
                case "GET", "HEAD" -> {
                    Hardware record = store.get(hw.id());
                    Map<String, Object> power = BmcRoutes.summary(bmc, record.id());
                    DiscoveryStore d = discovery;
                    Optional<MachineInventory> inventory = d == null ? Optional.empty() : d.inventory(record.id());
                    Optional<DiscoveredMachine> discovered = d == null ? Optional.empty() : d.discovered(record.id());
                    if (power == null && inventory.isEmpty() && discovered.isEmpty()) {
                        yield HttpResponse.json(200, record);
                    }
                    // the record as pushed, and what its BMC last said, what it reported, how it came
                    ObjectNode out = Json.mapper().valueToTree(record);
                    if (power != null) {
                        out.set("bmc", Json.mapper().valueToTree(power));
                    }
                    inventory.ifPresent(i -> out.set("inventory", Json.mapper().valueToTree(i)));
                    discovered.ifPresent(x -> out.set("discovery", Json.mapper().valueToTree(x)));
                    yield HttpResponse.json(200, out);
                }
                case "DELETE" -> {
                    store.delete(hw.id());
                    audit.record(caller, "hardware.delete", hw.id());
                    yield HttpResponse.noContent();
                }
                default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
            };
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }
}
