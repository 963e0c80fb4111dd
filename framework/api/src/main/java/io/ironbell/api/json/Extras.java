package io.ironbell.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers for the {@code extra} maps in which model records keep the JSON fields they do not name. */
public final class Extras {

    private Extras() {
    }

    /** Returns an unmodifiable, order-keeping copy; empty for {@code null}. */
    public static Map<String, JsonNode> copy(Map<String, JsonNode> extra) {
        if (extra == null || extra.isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }
}
