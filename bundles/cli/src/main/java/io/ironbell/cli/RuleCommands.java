package io.ironbell.cli;

import static io.ironbell.cli.Main.enc;
import static io.ironbell.cli.Main.out;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ironbell rule}: the enrollment rules that turn discovered machines into enrolled ones
 * ({@code apply -f}, {@code list}, {@code get}, {@code delete}), a dry run ({@code test RULE
 * MACHINE}) and the decisions made ({@code events}).
 */
final class RuleCommands {

    private RuleCommands() {
    }

    @Command(name = "rule", description = "Enrollment rules: discovered machines that match one are enrolled by it (first by priority).",
            subcommands = {CommandLine.HelpCommand.class})
    static final class RuleCmd {
        @ParentCommand
        Main main;

        @Command(name = "apply", description = "Create or replace rules from YAML or JSON (one rule, or a list): name, priority, enabled, "
                + "maxCount, match {vendor, product, minCpus, maxCpus, minMemory, maxMemory, disk {minSize, maxSize, rotational, count}, "
                + "macPrefixes, subnet, labels}, then {hostname, labels, metadata, template, powerCycle} (admins).")
        int apply(@Option(names = {"-f", "--filename"}, required = true, description = "file, or - for stdin") String file) throws CliException {
            String text = Main.read(file);
            List<JsonNode> rules = new ArrayList<>();
            try {
                JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(text);
                if (doc == null || !(doc.isObject() || doc.isArray())) {
                    throw new CliException(CliException.ERROR, file + " holds no rule (a mapping, or a list of them)");
                }
                if (doc.isArray()) {
                    doc.forEach(rules::add);
                } else {
                    rules.add(doc);
                }
            } catch (IOException e) {
                throw new CliException(CliException.ERROR, file + " does not read as YAML or JSON: " + e.getMessage());
            }
            for (JsonNode r : rules) {
                if (!r.hasNonNull("name")) {
                    throw new CliException(CliException.ERROR, "a rule in " + file + " has no name");
                }
                String name = r.get("name").asText();
                JsonNode stored = main.client().send("PUT", "/discovery/rules/" + enc(name), r, Duration.ofSeconds(30));
                main.output().record(stored, () -> out.println("rule/" + name + " (priority " + stored.get("priority").asText() + ") applied"));
            }
            return 0;
        }

        @Command(name = "list", description = "The rules, in the order they are tried.")
        int list() throws CliException {
            JsonNode all = main.client().get("/discovery/rules");
            main.output().rows(all, all.get("items"), List.of(new Output.Column("NAME", n -> n.get("name").asText()),
                    new Output.Column("PRIORITY", n -> n.get("priority").asText()), new Output.Column("ENABLED", n -> n.get("enabled").asText()),
                    new Output.Column("ENROLLED", n -> n.get("used").asText() + (n.get("maxCount").asInt() > 0 ? "/" + n.get("maxCount").asText() : "")),
                    new Output.Column("TEMPLATE", n -> n.path("then").path("template").asText("-"))));
            return 0;
        }

        @Command(name = "get", description = "One rule.")
        int get(@Parameters(paramLabel = "RULE") String name) throws CliException {
            JsonNode r = main.client().get("/discovery/rules/" + enc(name));
            main.output().record(r, () -> out.println(r.toPrettyString()));
            return 0;
        }

        @Command(name = "delete", description = "Delete a rule (admins); machines it enrolled stay enrolled.")
        int delete(@Parameters(paramLabel = "RULE") String name) throws CliException {
            main.client().delete("/discovery/rules/" + enc(name));
            out.println("rule/" + name + " deleted");
            return 0;
        }

        @Command(name = "test", description = "What a rule would do with a machine, changing nothing: why it does not match, or the record "
                + "enrolling would make.")
        int test(@Parameters(paramLabel = "RULE") String name, @Parameters(paramLabel = "MACHINE", description = "hardware id, MAC or IP")
                 String machine) throws CliException {
            JsonNode d = main.client().get("/discovery/rules/" + enc(name) + "/test/" + enc(machine));
            main.output().record(d, () -> {
                if (d.get("matches").asBoolean()) {
                    JsonNode hw = d.get("hardware");
                    out.println(name + " matches " + machine + ": it would enroll it as " + hw.at("/metadata/instance/hostname").asText(hw.get("id").asText())
                            + (d.hasNonNull("template") ? ", with a workflow from template " + d.get("template").asText() : ""));
                } else {
                    out.println(name + " does not match " + machine + ":");
                    d.get("reasons").forEach(r -> out.println("  " + r.asText()));
                }
            });
            return d.get("matches").asBoolean() ? 0 : CliException.ERROR;
        }

        @Command(name = "events", description = "Discovery's decisions, newest first: machines discovered, inventories, rules matched or not, "
                + "enrollments, failures.")
        int events(@Parameters(paramLabel = "MACHINE", arity = "0..1", description = "one machine's only") String machine,
                   @Option(names = "--limit", defaultValue = "100") int limit) throws CliException {
            JsonNode all = main.client().get("/discovery/events?limit=" + limit + (machine == null ? "" : "&machine=" + enc(machine)));
            main.output().rows(all, all.get("items"), List.of(new Output.Column("AT", n -> n.get("at").asText()),
                    new Output.Column("MACHINE", n -> n.path("hardwareId").asText("-")), new Output.Column("KIND", n -> n.get("kind").asText()),
                    new Output.Column("RULE", n -> n.path("rule").asText("-")), new Output.Column("MESSAGE", n -> n.get("message").asText())));
            return 0;
        }
    }
}
