package io.ironbell.api.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.template.Template;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A template rendered for particular hardware, and where its execution stands.
 *
 * @param id               identifier
 * @param templateId       the template it was made from
 * @param templateRevision that template's revision
 * @param hardwareMap      the template's worker keys ({@code device_1}) mapped to MAC addresses or hardware ids
 * @param template         the rendered template
 * @param state            the workflow's state
 * @param actions          every action of every task, in execution order
 * @param currentAction    index into {@code actions} of the action running or next to run
 * @param createdAt        when it was created
 * @param startedAt        when its first action started; the global timeout counts from here
 * @param updatedAt        when it last changed
 * @param version          optimistic version, incremented by every change
 * @param plugins          the plugin each image runs on, from the server's plugin repository, pinned when the
 *                         workflow was created: image to digest ({@code sha256:...}); images not named run on the
 *                         plugins the worker has
 * @param bootOptions      Tinkerbell's {@code spec.bootOptions} as given ({@code toggleAllowNetboot}, {@code bootMode},
 *                         {@code isoURL}), or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Workflow(
        String id,
        String templateId,
        int templateRevision,
        Map<String, String> hardwareMap,
        Template template,
        ExecutionState state,
        List<ActionStatus> actions,
        int currentAction,
        Instant createdAt,
        Instant startedAt,
        Instant updatedAt,
        long version,
        Map<String, String> plugins,
        JsonNode bootOptions) {

    public Workflow {
        hardwareMap = hardwareMap == null ? Map.of() : Map.copyOf(hardwareMap);
        actions = actions == null ? List.of() : List.copyOf(actions);
        plugins = plugins == null ? Map.of() : Map.copyOf(plugins);
    }

    /** A workflow without boot options. */
    public Workflow(String id, String templateId, int templateRevision, Map<String, String> hardwareMap, Template template,
                    ExecutionState state, List<ActionStatus> actions, int currentAction, Instant createdAt, Instant startedAt,
                    Instant updatedAt, long version, Map<String, String> plugins) {
        this(id, templateId, templateRevision, hardwareMap, template, state, actions, currentAction, createdAt, startedAt, updatedAt,
                version, plugins, null);
    }

    /** A workflow that pins no plugin. */
    public Workflow(String id, String templateId, int templateRevision, Map<String, String> hardwareMap, Template template,
                    ExecutionState state, List<ActionStatus> actions, int currentAction, Instant createdAt, Instant startedAt,
                    Instant updatedAt, long version) {
        this(id, templateId, templateRevision, hardwareMap, template, state, actions, currentAction, createdAt, startedAt, updatedAt,
                version, Map.of());
    }

    /** Returns the action running or next to run, unless the workflow has ended. */
    public Optional<ActionStatus> current() {
        return state.isTerminal() || currentAction >= actions.size()
                ? Optional.empty() : Optional.of(actions.get(currentAction));
    }
}
