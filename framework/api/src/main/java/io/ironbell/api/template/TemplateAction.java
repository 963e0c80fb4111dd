package io.ironbell.api.template;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One action of a task, as a template declares it.
 *
 * @param name        action name, unique within its task
 * @param image       the container image; well-known Tinkerbell action images map to native plugins
 * @param timeout     seconds the action may run
 * @param command     the command to run instead of the image's entry point
 * @param volumes     extra volumes ({@code host:container[:ro]})
 * @param environment variables, over the task's
 * @param pid         {@code host} to share the host's PID namespace
 * @param retries     how often a failed or timed-out action is tried again (an Ironbell addition)
 * @param extra       fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TemplateAction(
        String name,
        String image,
        Integer timeout,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> command,
        List<String> volumes,
        Map<String, String> environment,
        String pid,
        Integer retries,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public TemplateAction {
        command = command == null ? null : List.copyOf(command);
        volumes = volumes == null ? null : List.copyOf(volumes);
        environment = environment == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        extra = Extras.copy(extra);
    }
}
