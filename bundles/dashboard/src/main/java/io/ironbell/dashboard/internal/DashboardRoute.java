package io.ironbell.dashboard.internal;

import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * The dashboard's files at {@code /ui} (its page) and {@code /ui/FILE} (script and style): static,
 * read from the bundle once, served over HTTPS only. Everything the page shows comes from the REST
 * API with the token the operator signs in with, sent as a header, never as a cookie: a page of
 * another site cannot make the browser act with it (no ambient credential, so no CSRF). Values from
 * hardware records are untrusted: the script writes them as text only, and the Content-Security-Policy
 * allows scripts and styles from this origin alone, no inline code, no frames, no forms elsewhere.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/ui", "/ui/{file}"})
public final class DashboardRoute implements HttpRoute {

    /** Scripts and styles from this origin only; no inline script, no eval, no plug-ins, no framing. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> files;

    public DashboardRoute() {
        Map<String, byte[]> read = new java.util.HashMap<>();
        for (String name : TYPES.keySet()) {
            try (InputStream in = DashboardRoute.class.getResourceAsStream("/io/ironbell/dashboard/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("the dashboard bundle lacks its " + name);
                }
                read.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        this.files = Map.copyOf(read);
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        String name = r.pathParams().getOrDefault("file", "index.html");
        byte[] body = files.get(name);
        if (body == null) {
            throw HttpException.notFound("the dashboard has no " + name);
        }
        return HttpResponse.of(200, TYPES.get(name), body)
                .withHeader("Content-Security-Policy", CSP)
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Referrer-Policy", "no-referrer")
                .withHeader("X-Frame-Options", "DENY")
                .withHeader("Cache-Control", "no-cache");
    }
}
