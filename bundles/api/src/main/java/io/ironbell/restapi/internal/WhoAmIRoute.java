package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/whoami}: the name and role of the token the request carries (401 without a
 * valid one), so that a client such as the dashboard shows only what that role may do.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/api/v1/whoami")
public final class WhoAmIRoute implements HttpRoute {

    private final Auth auth;

    @Activate
    public WhoAmIRoute(@Reference Auth auth) {
        this.auth = auth;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        Auth.Caller c = auth.require(r, Role.VIEWER);
        return HttpResponse.json(200, Map.of("name", c.name(), "role", c.role().id()));
    }
}
