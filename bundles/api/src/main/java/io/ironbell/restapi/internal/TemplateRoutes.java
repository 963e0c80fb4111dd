package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateService;
import io.ironbell.api.template.TemplateStore;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/templates}: the body of POST and PUT is the template's YAML as it is
 * ({@code ?name=} overrides the YAML's name; PUT takes {@code ?revision=} for an optimistic
 * update; POST with {@code ?dryRun=true} only checks it: 200, or 422 naming the line). GET lists or returns one ({@code ?revision=} for an older one), DELETE deletes.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/templates", "/api/v1/templates/{key}"}, methods = {"GET", "POST", "PUT", "DELETE"})
public final class TemplateRoutes implements HttpRoute {

    private final Auth auth;
    private final Audit audit;
    private final TemplateService service;
    private final TemplateStore store;

    @Activate
    public TemplateRoutes(@Reference Auth auth, @Reference Audit audit, @Reference TemplateService service, @Reference TemplateStore store) {
        this.auth = auth;
        this.audit = audit;
        this.service = service;
        this.store = store;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean dryRun = r.method().equals("POST") && r.query("dryRun").map("true"::equals).orElse(false);
        // a check changes nothing: whoever may read templates may check one
        boolean read = r.method().equals("GET") || r.method().equals("HEAD") || dryRun;
        Auth.Caller caller = auth.require(r, read ? Role.VIEWER : Role.ADMIN);
        String key = r.pathParams().get("key");
        try {
            if (key == null) {
                return switch (r.method()) {
                    case "GET", "HEAD" -> HttpResponse.json(200, Api.page(store.list(Api.page(r))));
                    case "POST" -> {
                        if (dryRun) {
                            io.ironbell.api.template.Template checked = service.validate(yaml(r));
                            yield HttpResponse.json(200, Map.of("valid", true, "name", checked.name() == null ? "" : checked.name()));
                        }
                        TemplateRecord created = service.create(r.query("name").orElse(null), yaml(r));
                        audit.record(caller, "template.create", created.name(), Map.of("revision", Integer.toString(created.revision())));
                        yield HttpResponse.json(201, created);
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on /api/v1/templates");
                };
            }
            return switch (r.method()) {
                case "GET", "HEAD" -> {
                    long rev = Api.longParam(r, "revision", 0);
                    yield HttpResponse.json(200, rev > 0 ? store.get(key, (int) rev) : store.get(key));
                }
                case "PUT" -> {
                    TemplateRecord current = store.get(key);
                    int expected = (int) Api.longParam(r, "revision", current.revision());
                    TemplateRecord updated = service.update(key, yaml(r), expected);
                    audit.record(caller, "template.update", updated.name(), Map.of("revision", Integer.toString(updated.revision())));
                    yield HttpResponse.json(200, updated);
                }
                case "DELETE" -> {
                    store.delete(key);
                    audit.record(caller, "template.delete", key);
                    yield HttpResponse.noContent();
                }
                default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
            };
        } catch (StoreException e) {
            throw Api.error(e);
        } catch (TemplateException e) {
            throw Api.error(e);
        }
    }

    private static String yaml(HttpRequest r) throws HttpException {
        String text = r.bodyText();
        if (text.isBlank()) {
            throw new HttpException(400, "invalid_body", "the body must be the template's YAML");
        }
        return text;
    }
}
