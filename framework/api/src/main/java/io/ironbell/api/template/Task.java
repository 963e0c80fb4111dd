package io.ironbell.api.template;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task: actions that run in order on one worker.
 *
 * @param name        task name, unique within the template
 * @param worker      the worker that runs it: a MAC address or hardware id after rendering
 * @param volumes     volumes given to every action ({@code host:container[:ro]})
 * @param environment variables given to every action; an action's own win
 * @param actions     the actions, run in order
 * @param extra       fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Task(
        String name,
        String worker,
        List<String> volumes,
        Map<String, String> environment,
        List<TemplateAction> actions,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public Task {
        volumes = volumes == null ? null : List.copyOf(volumes);
        environment = environment == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        actions = actions == null ? null : List.copyOf(actions);
        extra = Extras.copy(extra);
    }

    /**
     * Returns the environment an action runs with: the task's, overridden by the action's.
     */
    public Map<String, String> environmentFor(TemplateAction action) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (environment != null) {
            merged.putAll(environment);
        }
        if (action.environment() != null) {
            merged.putAll(action.environment());
        }
        return Collections.unmodifiableMap(merged);
    }
}
