package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.dhcp.AddressPools;
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
 * {@code /api/v1/dhcp/pools}: the DHCP address pools every server instance shares: list (GET),
 * create or replace (PUT by name), delete (DELETE), and a pool's leases
 * ({@code GET /api/v1/dhcp/pools/NAME/leases}).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/dhcp/pools", "/api/v1/dhcp/pools/{name}", "/api/v1/dhcp/pools/{name}/leases"},
        methods = {"GET", "PUT", "DELETE"})
public final class PoolRoutes implements HttpRoute {

    private final Auth auth;
    private final Audit audit;
    private final AddressPools pools;

    @Activate
    public PoolRoutes(@Reference Auth auth, @Reference Audit audit, @Reference AddressPools pools) {
        this.auth = auth;
        this.audit = audit;
        this.pools = pools;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        Auth.Caller caller = auth.require(r, read ? Role.VIEWER : Role.ADMIN);
        String name = r.pathParams().get("name");
        try {
            if (name == null) {
                if (!read) {
                    throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path() + "; allowed: GET");
                }
                return HttpResponse.json(200, Map.of("items", pools.pools()));
            }
            if (r.path().endsWith("/leases")) {
                if (!read) {
                    throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path() + "; allowed: GET");
                }
                if (pools.pools().stream().noneMatch(p -> p.name().equals(name))) {
                    throw HttpException.notFound("no pool " + name);
                }
                return HttpResponse.json(200, Map.of("items", pools.leases(name)));
            }
            return switch (r.method()) {
                case "GET", "HEAD" -> HttpResponse.json(200, pools.pools().stream().filter(p -> p.name().equals(name)).findFirst()
                        .orElseThrow(() -> HttpException.notFound("no pool " + name)));
                case "PUT" -> {
                    AddressPool body = Api.body(r, AddressPool.class);
                    if (body.name() != null && !body.name().equals(name)) {
                        throw new HttpException(400, "invalid_field", "name: the body names pool " + body.name() + ", the path " + name);
                    }
                    if (body.subnet() == null || body.firstAddress() == null || body.lastAddress() == null) {
                        throw new HttpException(400, "invalid_field", "subnet, firstAddress and lastAddress are required");
                    }
                    AddressPool stored = pools.putPool(new AddressPool(name, body.subnet(), body.firstAddress(), body.lastAddress(),
                            body.relays(), body.router(), body.dns(), body.leaseSeconds(), body.offerSeconds()));
                    audit.record(caller, "pool.put", name);
                    yield HttpResponse.json(200, stored);
                }
                case "DELETE" -> {
                    pools.deletePool(name);
                    audit.record(caller, "pool.delete", name);
                    yield HttpResponse.noContent();
                }
                default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
            };
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }
}
