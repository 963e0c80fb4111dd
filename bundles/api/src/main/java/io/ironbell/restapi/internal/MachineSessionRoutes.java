package io.ironbell.restapi.internal;

import io.ironbell.api.auth.MachineCredentials;
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
 * {@code POST /api/v1/machines/session {"bootToken": "ibb_..."}}: a machine's worker exchanges
 * the boot token of its kernel command line, once, for a session token (201). Served over HTTPS
 * only (while TLS is on), so the session never crosses the network in clear.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/api/v1/machines/session", methods = "POST")
public final class MachineSessionRoutes implements HttpRoute {

    /** The body of an exchange. */
    record Exchange(String bootToken) {
    }

    private final Auth auth;

    @Activate
    public MachineSessionRoutes(@Reference Auth auth) {
        this.auth = auth;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        Exchange body = Api.body(r, Exchange.class);
        if (body.bootToken() == null || body.bootToken().isBlank()) {
            throw new HttpException(400, "invalid_field", "field bootToken is required (ironbell.boot_token= of the kernel command line)");
        }
        try {
            MachineCredentials.Session s = auth.machines().exchange(body.bootToken(), r.remoteAddress().getAddress());
            return HttpResponse.json(201, Map.of("token", s.token(), "hardware", s.hardwareId(), "expiresAt", s.expiresAt().toString()));
        } catch (MachineCredentials.Refused e) {
            throw new HttpException(401, "boot_token_refused", e.getMessage());
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }
}
