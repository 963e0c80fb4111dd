package io.ironbell.it.hello;

import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** {@code GET /hello}: "hello from VERSION", so a test can tell which jar is running. */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/hello")
public final class HelloRoute implements HttpRoute {

    private final String answer;

    @Activate
    public HelloRoute(BundleContext context) {
        this.answer = "hello from " + context.getBundle().getVersion();
    }

    @Override
    public HttpResponse handle(HttpRequest request) {
        return HttpResponse.text(200, answer);
    }
}
