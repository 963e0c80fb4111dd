package io.ironbell.restapi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.workflow.WorkflowException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** What every route shares: reading bodies, paging, and turning domain failures into HTTP errors. */
final class Api {

    private Api() {
    }

    /** Reads the body as {@code type}; a malformed body is 400 naming the line, column or field. */
    static <T> T body(HttpRequest r, Class<T> type) throws HttpException {
        if (r.body().length == 0) {
            throw new HttpException(400, "invalid_body", "a JSON body is required");
        }
        try {
            T v = Json.mapper().readValue(r.body(), type);
            if (v == null) {
                throw new HttpException(400, "invalid_body", "the body is JSON null");
            }
            return v;
        } catch (MismatchedInputException e) {
            throw new HttpException(400, "invalid_field", "field " + path(e) + ": must be " + expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw new HttpException(400, "invalid_field", (e.getPath().isEmpty() ? "" : "field " + path(e) + ": ")
                    + e.getOriginalMessage().split("\n")[0]);
        } catch (JsonProcessingException e) {
            throw new HttpException(400, "invalid_json", "malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new HttpException(400, "invalid_json", "cannot read the body: " + e.getMessage());
        }
    }

    private static String expected(Class<?> t) {
        if (t == null) {
            return "of another type";
        }
        if (java.util.Map.class.isAssignableFrom(t) || t.isRecord()) {
            return "an object";
        }
        if (java.util.Collection.class.isAssignableFrom(t) || t.isArray()) {
            return "a list";
        }
        if (t == String.class) {
            return "text";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(t) || t.isPrimitive()) {
            return "a number";
        }
        if (t.isEnum()) {
            return "one of " + java.util.Arrays.toString(t.getEnumConstants());
        }
        return "a " + t.getSimpleName();
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream().map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return p.isEmpty() ? "(body)" : p;
    }

    static PageRequest page(HttpRequest r) throws HttpException {
        int limit = PageRequest.DEFAULT_LIMIT;
        String l = r.query("limit").orElse(null);
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                throw new HttpException(400, "invalid_field", "limit must be a whole number, was '" + l + "'");
            }
            if (limit < 1 || limit > PageRequest.MAX_LIMIT) {
                throw new HttpException(400, "invalid_field", "limit must be between 1 and " + PageRequest.MAX_LIMIT + ", was " + limit);
            }
        }
        return new PageRequest(r.query("cursor").filter(c -> !c.isBlank()).orElse(null), limit);
    }

    static long longParam(HttpRequest r, String name, long fallback) throws HttpException {
        String v = r.query(name).orElse(null);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new HttpException(400, "invalid_field", name + " must be a whole number, was '" + v + "'");
        }
    }

    static Map<String, Object> page(Page<?> p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", p.items());
        m.put("next", p.nextCursor());
        return m;
    }

    static HttpException error(StoreException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> new HttpException(404, "not_found", e.getMessage());
            case CONFLICT -> new HttpException(409, "conflict", e.getMessage());
            case STALE -> new HttpException(409, "stale", e.getMessage());
            case INVALID -> new HttpException(422, "invalid_field", e.getMessage());
            case UNAVAILABLE -> new HttpException(503, "unavailable", e.getMessage());
        };
    }

    static HttpException error(WorkflowException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> new HttpException(404, "not_found", e.getMessage());
            case INVALID -> new HttpException(422, "invalid", e.getMessage());
            case CONFLICT -> new HttpException(409, "conflict", e.getMessage());
            case FORBIDDEN -> new HttpException(403, "forbidden", e.getMessage());
            case UNAVAILABLE -> new HttpException(503, "unavailable", e.getMessage());
        };
    }

    static HttpException error(TemplateException e) {
        return new HttpException(422, "invalid_template", e.getMessage());
    }
}
