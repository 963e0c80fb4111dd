package io.ironbell.api.template;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.List;
import java.util.Map;

/**
 * A rendered workflow template in Tinkerbell's format ({@code version: "0.1"}).
 *
 * <p>This is the template after Go-template rendering, when every {@code {{ }}} is replaced;
 * stored templates are kept as text ({@link TemplateRecord}).
 *
 * @param version       template format version, {@code "0.1"}
 * @param name          template name
 * @param globalTimeout seconds the whole workflow may take, counted from its first action's start
 * @param tasks         the tasks, run in order
 * @param extra         fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Template(
        String version,
        String name,
        @JsonProperty("global_timeout") Integer globalTimeout,
        List<Task> tasks,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    /** The only template format version there is. */
    public static final String VERSION = "0.1";

    public Template {
        tasks = tasks == null ? null : List.copyOf(tasks);
        extra = Extras.copy(extra);
    }
}
