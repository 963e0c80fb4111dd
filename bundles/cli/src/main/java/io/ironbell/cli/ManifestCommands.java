package io.ironbell.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code ironbell apply} and {@code ironbell get}: Tinkerbell's Kubernetes objects in and out, as kubectl users expect. */
final class ManifestCommands {

    private ManifestCommands() {
    }

    @Command(name = "apply", description = {"Apply Tinkerbell objects (Hardware, Template, Workflow, WorkflowRuleSet, Machine, Job, Secret) from YAML or JSON "
            + "files, a directory of them, or - for stdin. Each file applies whole or not at all; prints kind/name created, "
            + "configured or unchanged."})
    static final class ApplyCmd implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        Main main;

        @Option(names = {"-f", "--filename"}, required = true, description = "file, directory (*.yaml, *.yml, *.json) or -; repeatable")
        List<String> files;

        @Option(names = {"-R", "--recursive"}, description = "read directories' subdirectories too")
        boolean recursive;

        @Override
        public Integer call() throws CliException {
            ArrayNode list = Json.mapper().createArrayNode();
            for (String f : files) {
                for (String name : expand(f, recursive)) {
                    list.addObject().put("name", name).put("text", Main.read(name));
                }
            }
            if (list.isEmpty()) {
                throw new CliException(CliException.ERROR, "no .yaml, .yml or .json files in " + String.join(", ", files));
            }
            ObjectNode body = Json.mapper().createObjectNode();
            body.set("files", list);
            JsonNode answer = main.client().post("/apply", body.toString(), "application/json");
            Output o = main.output();
            boolean refused = false;
            for (JsonNode r : answer.path("results")) {
                for (JsonNode a : r.path("applied")) {
                    if (o.format() == Output.Format.table) {
                        Main.out.println(Output.text(a, "kind") + "/" + Output.text(a, "name") + " " + Output.text(a, "outcome"));
                    }
                    if (a.hasNonNull("warning")) {
                        System.err.println("warning: " + Output.text(a, "kind") + "/" + Output.text(a, "name") + ": " + Output.text(a, "warning"));
                    }
                }
                for (JsonNode e : r.path("errors")) {
                    refused = true;
                    System.err.println("error: " + Output.text(r, "source") + ": " + Output.printable(e.asText()));
                }
            }
            if (o.format() != Output.Format.table) {
                o.raw(answer);
            }
            return refused ? CliException.ERROR : 0;
        }
    }

    /** The files a {@code -f} names: itself, stdin, or a directory's manifests in name order. */
    static List<String> expand(String f, boolean recursive) throws CliException {
        Path p = Path.of(f);
        if (f.equals("-") || !Files.isDirectory(p)) {
            return List.of(f);
        }
        try (Stream<Path> s = recursive ? Files.walk(p) : Files.list(p)) {
            List<String> out = new ArrayList<>();
            s.filter(Files::isRegularFile).map(Path::toString).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"))
                    .sorted().forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new CliException(CliException.ERROR, "cannot read " + f + ": " + e.getMessage());
        }
    }

    @Command(name = "get", description = "Write a record back as Tinkerbell's object (YAML unless -o json): hardware, template, workflow "
            + "(with its status), workflowruleset, machine, job or secret (its values left out).")
    static final class GetCmd implements java.util.concurrent.Callable<Integer> {
        @ParentCommand
        Main main;

        @Parameters(index = "0", paramLabel = "KIND", description = "hardware, template, workflow, workflowruleset, machine, job or secret")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Option(names = "--format", defaultValue = "tinkerbell", description = "tinkerbell (the only one: Tinkerbell's Kubernetes object)")
        String shape;

        @Override
        public Integer call() throws CliException {
            if (!shape.equals("tinkerbell")) {
                throw new CliException(CliException.USAGE, "--format must be tinkerbell, was " + shape);
            }
            JsonNode object = main.client().get("/manifests/" + Client.enc(kind) + "/" + Client.enc(name));
            main.output().object(object);
            return 0;
        }
    }
}
