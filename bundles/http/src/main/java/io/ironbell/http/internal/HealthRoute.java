package io.ironbell.http.internal;

import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/** {@code GET /healthz}: the process is alive and its HTTP server answers. */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/healthz", inline = true, plain = true)
public final class HealthRoute implements HttpRoute {

    private static final HttpResponse OK = HttpResponse.json(200, Map.of("status", "ok"));

    @Override
    public HttpResponse handle(HttpRequest request) {
        return OK;
    }
}
