package io.ironbell.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.ironbell.api.json.Json;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;

/** Small conversions between MyBatis result maps, JSON text and the model. */
final class Rows {

    private Rows() {
    }

    static String str(Map<String, Object> row, String column) {
        Object v = row.get(column);
        return v == null ? null : v.toString();
    }

    static int integer(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).intValue();
    }

    static long longValue(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).longValue();
    }

    static Instant instant(Map<String, Object> row, String column) {
        Object v = row.get(column);
        if (v == null) {
            return null;
        }
        if (v instanceof Timestamp t) {
            return t.toInstant();
        }
        if (v instanceof java.time.OffsetDateTime o) {
            return o.toInstant();
        }
        throw new IllegalStateException("column " + column + " is not a timestamp: " + v.getClass());
    }

    static Timestamp timestamp(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    static String json(Object value) {
        try {
            return value == null ? null : Json.mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    static <T> T fromJson(String text, Class<T> type) {
        try {
            return text == null ? null : Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not read as " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    static <T> T fromJson(String text, TypeReference<T> type) {
        try {
            return text == null ? null : Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not read as expected: " + e.getOriginalMessage(), e);
        }
    }
}
