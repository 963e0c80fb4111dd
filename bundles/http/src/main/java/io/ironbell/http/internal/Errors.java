package io.ironbell.http.internal;

import io.ironbell.api.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON error bodies every failure gets: {@code {"code": ..., "message": ...}}. */
final class Errors {

    private Errors() {
    }

    static HttpResponse of(int status, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message);
        return HttpResponse.json(status, body);
    }
}
