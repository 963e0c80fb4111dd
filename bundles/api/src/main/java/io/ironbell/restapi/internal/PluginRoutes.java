package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.plugin.PluginRepository;
import io.ironbell.api.store.StoreException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The plugin repository: {@code POST /api/v1/plugins} with a bundle's jar as the body and its
 * detached signature, base64, in {@value #SIGNATURE} (admin; 201, or 200 when the same bytes were
 * pushed before), {@code GET /api/v1/plugins} (viewer),
 * {@code DELETE /api/v1/plugins/{name}/{version}} (admin). Workers fetch a pinned plugin through
 * the worker API ({@link WorkerRoutes}).
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/plugins", "/api/v1/plugins/{name}/{version}"}, methods = {"GET", "POST", "DELETE"})
public final class PluginRoutes implements HttpRoute {

    /** The header that carries a detached signature of the jar, base64. */
    static final String SIGNATURE = "Ironbell-Plugin-Signature";

    /** Content types a jar may come as. */
    static final Set<String> JAR_TYPES = Set.of("application/java-archive", "application/octet-stream", "application/zip");

    private final Auth auth;
    private final Audit audit;
    private final PluginRepository plugins;

    @Activate
    public PluginRoutes(@Reference Auth auth, @Reference Audit audit, @Reference PluginRepository plugins) {
        this.auth = auth;
        this.audit = audit;
        this.plugins = plugins;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        String m = r.method().equals("HEAD") ? "GET" : r.method();
        try {
            String name = r.pathParams().get("name");
            if (name == null) {
                return switch (m) {
                    case "GET" -> {
                        auth.require(r, Role.VIEWER);
                        yield HttpResponse.json(200, Map.of("items", plugins.list()));
                    }
                    case "POST" -> {
                        Auth.Caller caller = auth.require(r, Role.ADMIN);
                        String type = r.header("Content-Type").orElse("").split(";")[0].trim().toLowerCase(Locale.ROOT);
                        if (!JAR_TYPES.contains(type)) {
                            throw new HttpException(415, "unsupported_media_type", "a plugin is pushed as its jar: Content-Type "
                                    + "application/java-archive (or application/octet-stream), was '" + type + "'");
                        }
                        byte[] signature;
                        try {
                            signature = r.header(SIGNATURE).map(s -> java.util.Base64.getDecoder().decode(s.trim())).orElse(null);
                        } catch (IllegalArgumentException e) {
                            throw HttpException.badRequest("header " + SIGNATURE + " must be base64: " + e.getMessage());
                        }
                        PluginRepository.Pushed pushed = plugins.push(r.body(), signature, caller.name());
                        PluginRepository.Plugin p = pushed.plugin();
                        boolean created = pushed.created();
                        if (created) {
                            audit.record(caller, "plugin.push", p.symbolicName() + " " + p.version(), Map.of("digest", p.digest()));
                        }
                        yield HttpResponse.json(created ? 201 : 200, p);
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
                };
            }
            if (!m.equals("DELETE")) {
                throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path() + "; allowed: DELETE");
            }
            Auth.Caller caller = auth.require(r, Role.ADMIN);
            PluginRepository.Plugin gone = plugins.delete(name, r.pathParam("version"));
            audit.record(caller, "plugin.delete", gone.symbolicName() + " " + gone.version(), Map.of("digest", gone.digest()));
            return HttpResponse.json(200, gone);
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }
}
