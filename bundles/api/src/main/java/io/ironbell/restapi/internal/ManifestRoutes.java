package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.manifest.ManifestException;
import io.ironbell.api.manifest.ManifestService;
import io.ironbell.api.manifest.ManifestService.FileResult;
import io.ironbell.api.manifest.ManifestService.Source;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Tinkerbell's objects: {@code POST /api/v1/apply} takes files of them ({@code {"files": [{"name",
 * "text"}]}}, or one file's YAML as the body with {@code ?name=}) and answers each file's result:
 * 200 when a file was applied, 422 with every error when none was. {@code GET
 * /api/v1/manifests/{kind}/{name}} writes a record back as Tinkerbell's object. Both answer 503
 * in an edition without the manifests bundle.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/apply", "/api/v1/manifests/{kind}/{name}"}, methods = {"GET", "POST"})
public final class ManifestRoutes implements HttpRoute {

    private final Auth auth;
    private final Audit audit;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ManifestService manifests;

    /** The body of a POST with several files. */
    record Files(List<Source> files) {
    }

    @Activate
    public ManifestRoutes(@Reference Auth auth, @Reference Audit audit) {
        this.auth = auth;
        this.audit = audit;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        boolean apply = r.path().equals("/api/v1/apply");
        if (apply != r.method().equals("POST")) {
            throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
        }
        Auth.Caller caller = auth.require(r, apply ? Role.ADMIN : Role.VIEWER);
        ManifestService service = manifests;
        if (service == null) {
            throw new HttpException(503, "unavailable", "this edition has no manifests bundle (io.ironbell.manifests): "
                    + "Tinkerbell's objects cannot be applied or exported");
        }
        if (!apply) {
            try {
                return HttpResponse.json(200, service.export(r.pathParams().get("kind"), r.pathParams().get("name")));
            } catch (ManifestException e) {
                throw switch (e.reason()) {
                    case NOT_FOUND -> new HttpException(404, "not_found", e.getMessage());
                    case INVALID -> new HttpException(400, "invalid_kind", e.getMessage());
                    case UNAVAILABLE -> new HttpException(503, "unavailable", e.getMessage());
                };
            }
        }
        List<Source> files = files(r);
        List<FileResult> results = service.apply(files);
        List<String> errors = new ArrayList<>();
        int applied = 0;
        for (FileResult f : results) {
            f.errors().forEach(e -> errors.add(f.source() + ": " + e));
            if (f.errors().isEmpty()) {
                applied++;
                Map<String, String> detail = new LinkedHashMap<>();
                f.applied().forEach(a -> detail.put(a.kind() + "/" + a.name(), a.outcome()));
                audit.record(caller, "manifest.apply", f.source(), detail);
            }
        }
        if (applied == 0) {
            throw new HttpException(422, "invalid_manifest", String.join("; ", errors));
        }
        return HttpResponse.json(200, Map.of("results", results));
    }

    private static List<Source> files(HttpRequest r) throws HttpException {
        String type = r.header("Content-Type").orElse("");
        if (type.startsWith("application/json")) {
            Files body = Api.body(r, Files.class);
            if (body.files() == null || body.files().isEmpty()) {
                throw new HttpException(400, "invalid_body", "files: give at least one {\"name\": ..., \"text\": ...}");
            }
            for (int i = 0; i < body.files().size(); i++) {
                Source s = body.files().get(i);
                if (s == null || s.text() == null) {
                    throw new HttpException(400, "invalid_field", "files[" + i + "].text is required");
                }
            }
            return body.files().stream().map(s -> new Source(s.name() == null ? "(file)" : s.name(), s.text())).toList();
        }
        String text = r.bodyText();
        if (text.isBlank()) {
            throw new HttpException(400, "invalid_body", "the body must be YAML or JSON objects, or {\"files\": [...]}");
        }
        return List.of(new Source(r.query("name").orElse("(body)"), text));
    }

}
