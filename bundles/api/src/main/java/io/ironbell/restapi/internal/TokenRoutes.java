package io.ironbell.restapi.internal;

import io.ironbell.api.auth.ApiToken;
import io.ironbell.api.auth.AuditLog;
import io.ironbell.api.auth.Role;
import io.ironbell.api.auth.TokenStore;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/tokens}: named tokens with roles, for admins only. {@code POST {"name", "role",
 * "expires"}} creates one and answers its text once ({@code expires}: an ISO instant, or a duration
 * such as {@code 30d}, {@code 12h}; none for never); {@code GET} lists them (never a secret);
 * {@code DELETE /api/v1/tokens/NAME} revokes one. Also {@code GET /api/v1/audit?after=&limit=}.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/tokens", "/api/v1/tokens/{key}", "/api/v1/audit"}, methods = {"GET", "POST", "DELETE"})
public final class TokenRoutes implements HttpRoute {

    /** A request to create a token. */
    record CreateRequest(String name, String role, String expires) {
    }

    private final Auth auth;
    private final Audit audit;
    private final TokenStore tokens;
    private final AuditLog log;

    @Activate
    public TokenRoutes(@Reference Auth auth, @Reference Audit audit, @Reference TokenStore tokens, @Reference AuditLog log) {
        this.auth = auth;
        this.audit = audit;
        this.tokens = tokens;
        this.log = log;
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        Auth.Caller caller = auth.requireAdmin(r);
        String key = r.pathParams().get("key");
        String m = r.method().equals("HEAD") ? "GET" : r.method();
        try {
            if (r.path().equals("/api/v1/audit")) {
                if (!m.equals("GET")) {
                    throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on /api/v1/audit");
                }
                int limit = (int) Api.longParam(r, "limit", PageRequest.DEFAULT_LIMIT);
                if (limit < 1 || limit > PageRequest.MAX_LIMIT) {
                    throw HttpException.badRequest("limit must be between 1 and " + PageRequest.MAX_LIMIT);
                }
                return HttpResponse.json(200, Map.of("items", log.after(Api.longParam(r, "after", 0), limit)));
            }
            if (key == null) {
                return switch (m) {
                    case "GET" -> HttpResponse.json(200, Map.of("items", tokens.list()));
                    case "POST" -> {
                        CreateRequest c = Api.body(r, CreateRequest.class);
                        Role role = role(c.role());
                        Instant expires = expiry(c.expires());
                        TokenStore.Created created = tokens.create(c.name(), role, expires, caller.name());
                        Map<String, String> detail = new LinkedHashMap<>();
                        detail.put("role", role.id());
                        detail.put("expires", expires == null ? "never" : expires.toString());
                        audit.record(caller, "token.create", created.token().name(), detail);
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("token", created.secret());
                        body.put("record", created.token());
                        yield HttpResponse.json(201, body);
                    }
                    default -> throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on /api/v1/tokens");
                };
            }
            if (!m.equals("DELETE")) {
                throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
            }
            ApiToken revoked = tokens.revoke(key);
            audit.record(caller, "token.revoke", revoked.name());
            return HttpResponse.json(200, revoked);
        } catch (StoreException e) {
            throw Api.error(e);
        }
    }

    private static Role role(String name) throws HttpException {
        if (name == null) {
            throw new HttpException(400, "invalid_field", "field role is required: admin, operator or viewer");
        }
        try {
            return Role.parse(name);
        } catch (IllegalArgumentException e) {
            throw new HttpException(400, "invalid_field", "field role: " + e.getMessage());
        }
    }

    /** An ISO instant, or a duration from now: {@code 90d}, {@code 12h}, {@code 30m}; null or blank for none. */
    static Instant expiry(String text) throws HttpException {
        if (text == null || text.isBlank() || text.equals("never")) {
            return null;
        }
        String t = text.trim();
        try {
            if (t.matches("\\d{1,5}[dhm]")) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                Duration d = switch (t.charAt(t.length() - 1)) {
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofMinutes(n);
                };
                return Instant.now().plus(d);
            }
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw new HttpException(400, "invalid_field", "field expires must be a duration like 30d, 12h, 45m or an instant like "
                    + "2027-01-01T00:00:00Z, was '" + text + "'");
        }
    }
}
