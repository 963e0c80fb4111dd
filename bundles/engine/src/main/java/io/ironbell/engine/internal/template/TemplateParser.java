package io.ironbell.engine.internal.template;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import io.ironbell.api.json.LineTree;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.template.TemplateService;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;

/**
 * Reads a template's YAML (after rendering) into a {@link Template}, refusing what Tinkerbell
 * refuses and more, every error with its line and field: YAML syntax, aliases, size and depth
 * limits, types, {@code version: "0.1"}, names of 1–199 characters, at least one task, task
 * names unique, action names unique within their task, positive timeouts, retries 0–100.
 */
public final class TemplateParser {

    /** Most retries an action may ask for. */
    public static final int MAX_RETRIES = 100;

    /** The fields Tinkerbell reads into Go strings: yaml.v3 gives them the text as written ({@code 0644}, {@code true}, {@code 0x1F}). */
    private static final Pattern STRING_FIELD = Pattern.compile("(version|name|id)|tasks\\[\\d+]\\.(name|worker|volumes\\[\\d+]|environment\\.[^.\\[]+)"
            + "|tasks\\[\\d+]\\.actions\\[\\d+]\\.(name|image|pid|command\\[\\d+]|volumes\\[\\d+]|environment\\.[^.\\[]+|on-timeout\\[\\d+]"
            + "|on-failure\\[\\d+]|namespaces\\.(network|pid))");
    /** distribution/reference's grammar, which Tinkerbell checks every action's image against. */
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern DOMAIN = Pattern.compile("(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*"
            + "[a-zA-Z0-9]))*(?::[0-9]+)?|\\[[a-fA-F0-9:]+](?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
    private static final Pattern NAME_CHARS = Pattern.compile("[^\\p{Cntrl}]+");

    private TemplateParser() {
    }

    /** Parses and validates rendered (or placeholder-filled) YAML. */
    public static Template parse(String yaml) throws TemplateException {
        if (yaml == null || yaml.isBlank()) {
            throw new TemplateException(0, null, "the template is empty");
        }
        int bytes = yaml.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > TemplateService.MAX_BYTES) {
            throw new TemplateException(0, null, "the template is " + bytes + " bytes; at most " + TemplateService.MAX_BYTES);
        }
        refuseAliases(yaml);
        Map<String, Integer> lines = new HashMap<>();
        JsonNode tree = read(yaml, lines);
        validate(tree, lines);
        try {
            return Json.mapper().treeToValue(tree, Template.class);
        } catch (JsonProcessingException e) {
            throw new TemplateException(0, null, e.getOriginalMessage());
        }
    }

    /** Aliases would be read as their anchor's name (see Json): refuse them, with their line. */
    private static void refuseAliases(String yaml) throws TemplateException {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(TemplateService.MAX_BYTES);
        options.setNestingDepthLimit(Json.MAX_NESTING_DEPTH);
        try {
            for (Event e : new Yaml(options).parse(new StringReader(yaml))) {
                if (e instanceof AliasEvent || e instanceof NodeEvent n && n.getAnchor() != null) {
                    throw new TemplateException(line(e.getStartMark()), null,
                            "YAML anchors and aliases (&, *) are not supported in templates");
                }
            }
        } catch (MarkedYAMLException e) {
            throw new TemplateException(line(e.getProblemMark()), null, "malformed YAML: " + e.getProblem());
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new TemplateException(0, null, "malformed YAML: " + e.getMessage());
        }
    }

    private static int line(Mark m) {
        return m == null ? 0 : m.getLine() + 1;
    }

    /** Reads the YAML into a tree, recording the line where each field's value starts. */
    private static JsonNode read(String yaml, Map<String, Integer> lines) throws TemplateException {
        try (JsonParser p = Json.yaml().getFactory().createParser(yaml)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new TemplateException(1, null, "a template is a mapping (version, name, tasks)");
            }
            // as yaml.v3 reads a scalar into a Go string: the text as written (0644 stays "0644", true stays "true")
            return LineTree.read(p, lines, path -> STRING_FIELD.matcher(path).matches());
        } catch (IOException e) {
            int line = e instanceof JsonProcessingException j && j.getLocation() != null ? j.getLocation().getLineNr() : 0;
            throw new TemplateException(line, null, "malformed YAML: " + (e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    private static void validate(JsonNode root, Map<String, Integer> lines) throws TemplateException {
        Checker c = new Checker(lines);
        // Tinkerbell reads the version and checks nothing about it
        JsonNode version = root.get("version");
        if (version == null || version.isNull()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) root).put("version", Template.VERSION);
        } else if (!version.isTextual()) {
            throw c.error("version", "version", "must be text, was " + Checker.kind(version));
        }
        c.name(root, "", "name");
        c.positive(root, "", "global_timeout");
        JsonNode tasks = root.get("tasks");
        if (tasks == null || !tasks.isArray() || tasks.isEmpty()) {
            throw c.error(tasks == null ? "" : "tasks", "tasks", "at least one task is required");
        }
        Set<String> taskNames = new HashSet<>();
        int allActions = 0;
        for (int i = 0; i < tasks.size(); i++) {
            String tp = "tasks[" + i + "]";
            JsonNode task = tasks.get(i);
            if (!task.isObject()) {
                throw c.error(tp, tp, "must be a mapping with name, worker and actions");
            }
            String name = c.name(task, tp, "name");
            if (!taskNames.add(name)) {
                throw c.error(tp + ".name", tp + ".name", "task name '" + name + "' is used twice; task names must be unique");
            }
            c.requiredText(task, tp, "worker");
            c.stringList(task, tp, "volumes");
            c.environment(task, tp);
            JsonNode actions = task.get("actions");
            if (actions == null || actions.isNull()) {
                // as in Tinkerbell, a task may have no actions
                actions = ((com.fasterxml.jackson.databind.node.ObjectNode) task).putArray("actions");
            }
            if (!actions.isArray()) {
                throw c.error(tp + ".actions", tp + ".actions", "must be a list of actions, was " + Checker.kind(actions));
            }
            allActions += actions.size();
            Set<String> actionNames = new HashSet<>();
            for (int k = 0; k < actions.size(); k++) {
                String ap = tp + ".actions[" + k + "]";
                JsonNode action = actions.get(k);
                if (!action.isObject()) {
                    throw c.error(ap, ap, "must be a mapping with name and image");
                }
                String an = c.name(action, ap, "name");
                if (!actionNames.add(an)) {
                    throw c.error(ap + ".name", ap + ".name", "action name '" + an + "' is used twice in task '" + name
                            + "'; action names must be unique within a task");
                }
                c.image(action, ap);
                c.positive(action, ap, "timeout");
                c.stringList(action, ap, "volumes");
                c.environment(action, ap);
                JsonNode command = action.get("command");
                if (command != null && command.isValueNode() && !command.isNull()) {
                    throw c.error(ap + ".command", ap + ".command", "must be a list, as Tinkerbell reads it (command: [\"sh\", \"-c\", \"...\"]), was "
                            + Checker.kind(command));
                }
                c.stringList(action, ap, "command");
                JsonNode pid = action.get("pid");
                if (pid != null && !pid.isNull() && !(pid.isTextual() && pid.asText().equals("host"))) {
                    throw c.error(ap + ".pid", ap + ".pid", "must be \"host\" when given, was " + pid);
                }
                JsonNode retries = action.get("retries");
                if (retries != null && !retries.isNull()
                        && (!retries.canConvertToInt() || !retries.isIntegralNumber() || retries.asInt() < 0 || retries.asInt() > MAX_RETRIES)) {
                    throw c.error(ap + ".retries", ap + ".retries", "must be a whole number from 0 to " + MAX_RETRIES + ", was " + retries);
                }
            }
        }
        if (allActions == 0) {
            // Tinkerbell would make a workflow that does nothing; Ironbell's workflows run at least one action
            throw c.error("tasks", "tasks", "at least one action is required in the template's tasks");
        }
    }

    /** Why distribution/reference refuses an image name, in its words; null when it takes it. */
    static String imageProblem(String name) {
        if (name.isEmpty()) {
            return "repository name must have at least one component";
        }
        String rest = name;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (!rest.equals(rest.toLowerCase(java.util.Locale.ROOT)) && rest.indexOf('/') < 0) {
            return "repository name must be lowercase";
        }
        String[] parts = rest.split("/", -1);
        int first = 0;
        if (parts.length > 1 && (parts[0].contains(".") || parts[0].contains(":") || parts[0].equals("localhost")
                || !parts[0].equals(parts[0].toLowerCase(java.util.Locale.ROOT)))) {
            if (!DOMAIN.matcher(parts[0]).matches()) {
                return "invalid reference format";
            }
            first = 1;
        }
        for (int i = first; i < parts.length; i++) {
            if (!PATH_COMPONENT.matcher(parts[i]).matches()) {
                return parts[i].equals(parts[i].toLowerCase(java.util.Locale.ROOT)) ? "invalid reference format"
                        : "repository name must be lowercase";
            }
        }
        if (rest.length() > 255) {
            return "repository name must not be more than 255 characters";
        }
        if (tag != null && !TAG.matcher(tag).matches() || digest != null && !DIGEST.matcher(digest).matches()) {
            return "invalid reference format";
        }
        if (tag == null && digest == null && rest.matches("[a-f0-9]{64}")) {
            return "invalid repository name (" + rest + "), cannot specify 64-byte hexadecimal strings";
        }
        return null;
    }

    /** Field checks that know where each field is. */
    private record Checker(Map<String, Integer> lines) {

        TemplateException error(String path, String field, String reason) {
            Integer line = lines.get(path);
            return new TemplateException(line == null ? 0 : line, field.isEmpty() ? null : field, reason);
        }

        String name(JsonNode node, String parent, String field) throws TemplateException {
            String path = parent.isEmpty() ? field : parent + "." + field;
            String text = requiredText(node, parent, field);
            int bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes > 199) {
                throw error(path, path, "must be 1 to 199 bytes, was " + bytes);
            }
            if (!NAME_CHARS.matcher(text).matches()) {
                throw error(path, path, "must not contain control characters");
            }
            return text;
        }

        String requiredText(JsonNode node, String parent, String field) throws TemplateException {
            String path = parent.isEmpty() ? field : parent + "." + field;
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw error(parent, path, "is required");
            }
            if (!v.isTextual() && !v.isNumber()) {
                throw error(path, path, "must be text, was " + kind(v));
            }
            if (v.asText().isBlank()) {
                throw error(path, path, "must not be empty");
            }
            return v.asText();
        }

        void positive(JsonNode node, String parent, String field) throws TemplateException {
            String path = parent.isEmpty() ? field : parent + "." + field;
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return;
            }
            if (v.isFloatingPointNumber() && Math.abs(v.asDouble()) < 1e18) {
                // yaml.v3 reads a float into an int field truncated, as Go's conversion does
                v = com.fasterxml.jackson.databind.node.LongNode.valueOf((long) v.asDouble());
                ((com.fasterxml.jackson.databind.node.ObjectNode) node).set(field, v);
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() <= 0 || v.asLong() > Integer.MAX_VALUE) {
                throw error(path, path, "must be a positive whole number of seconds, was " + v);
            }
        }

        /** The image as Tinkerbell checks it: distribution/reference's ParseNormalizedNamed. */
        void image(JsonNode action, String parent) throws TemplateException {
            String path = parent + ".image";
            String image = requiredText(action, parent, "image");
            String problem = imageProblem(image);
            if (problem != null) {
                throw error(path, path, "invalid action image (" + image + "): " + problem);
            }
        }

        void stringList(JsonNode node, String parent, String field) throws TemplateException {
            String path = parent + "." + field;
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return;
            }
            if (!v.isArray()) {
                throw error(path, path, "must be a list, was " + kind(v));
            }
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isValueNode() || v.get(i).isNull()) {
                    throw error(path + "[" + i + "]", path + "[" + i + "]", "must be text, was " + kind(v.get(i)));
                }
            }
        }

        void environment(JsonNode node, String parent) throws TemplateException {
            String path = parent + ".environment";
            JsonNode v = node.get("environment");
            if (v == null || v.isNull()) {
                return;
            }
            if (!v.isObject()) {
                throw error(path, path, "must be a mapping of names to values, was " + kind(v));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) {
                    // a Go map[string]string: an empty value is ""
                    e.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf(""));
                }
                if (!e.getValue().isValueNode()) {
                    throw error(path + "." + e.getKey(), path + "." + e.getKey(), "must be text, a number or a boolean, was "
                            + kind(e.getValue()));
                }
            }
        }

        private static String kind(JsonNode v) {
            return v.isObject() ? "a mapping" : v.isArray() ? "a list" : v.isNull() ? "empty" : v.isTextual() ? "text '" + v.asText() + "'"
                    : v.toString();
        }
    }
}
