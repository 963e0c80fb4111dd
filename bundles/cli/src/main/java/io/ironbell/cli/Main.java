package io.ironbell.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

/**
 * {@code ironbell <noun> <verb>}: the command-line client of the REST API.
 *
 * <p>Exit status: 0 done; 1 refused (bad input); 2 usage; 3 not found; 4 token missing or
 * wrong; 5 no server; 6 conflict; 7 server error; 8 a watched workflow or BMC job did not succeed.
 */
@Command(name = "ironbell", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Ironbell's command-line client: hardware, templates, workflows and machine logs.",
        subcommands = {Main.HardwareCmd.class, Main.TemplateCmd.class, Main.WorkflowCmd.class, Main.LogsCmd.class,
                ManifestCommands.ApplyCmd.class, ManifestCommands.GetCmd.class,
                AccessCommands.TokenCmd.class, AccessCommands.AuditCmd.class,
                PluginCommands.PluginCmd.class, BmcCommands.BmcCmd.class, PoolCommands.PoolCmd.class, RuleCommands.RuleCmd.class,
                Main.CompletionCmd.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done", "1:refused: bad input", "2:usage", "3:not found", "4:token missing or wrong", "5:no server answers",
                "6:conflict with the record's state", "7:server error", "8:a watched workflow or BMC job did not succeed",
                "9:the server's certificate is not trusted (nothing was sent)"})
public final class Main {

    @Option(names = "--server", scope = ScopeType.INHERIT, description = "server URL (default: IRONBELL_SERVER, ~/.config/ironbell/cli.properties, or this machine's server)")
    String server;

    @Option(names = "--token", scope = ScopeType.INHERIT, description = "admin token (default: IRONBELL_TOKEN, the config file, or data/api-token)")
    String token;

    @Option(names = "--ca", scope = ScopeType.INHERIT, description = "PEM file of the CA that signed the server's certificate (default: "
            + "IRONBELL_CA, the config file, or this machine's data/tls/ca.pem)")
    String ca;

    @Option(names = "--ca-fingerprint", scope = ScopeType.INHERIT, description = "trust the server whose chain holds the certificate with "
            + "this SHA-256 (sha256:HEX; default: IRONBELL_CA_FINGERPRINT or the config file's caFingerprint)")
    String caFingerprint;

    @Option(names = "--insecure", scope = ScopeType.INHERIT, description = "believe any server certificate (never for production: "
            + "whoever answers gets the token)")
    boolean insecure;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, defaultValue = "table", description = "table, json or yaml")
    Output.Format format;

    static PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException c) {
                cmd.getErr().println("ironbell: " + Output.printable(c.getMessage()));
                return c.exitCode();
            }
            throw e;
        });
        return cl.execute(args);
    }

    Client client() throws CliException {
        Path home = System.getProperty("ironbell.home") == null ? null : Path.of(System.getProperty("ironbell.home"));
        Path user = Path.of(System.getProperty("user.home"), ".config", "ironbell", "cli.properties");
        return new Client(Connection.resolve(server, token, ca, caFingerprint, insecure, System.getenv(), user, home));
    }

    Output output() {
        return new Output(format, out);
    }

    static String read(String file) throws CliException {
        try {
            return file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new CliException(CliException.ERROR, "cannot read " + file + ": " + e.getMessage());
        }
    }

    // ---- hardware ------------------------------------------------------------------------------

    @Command(name = "hardware", description = "Register and inspect machines (Tinkerbell hardware JSON).",
            subcommands = {CommandLine.HelpCommand.class})
    static final class HardwareCmd {
        @ParentCommand
        Main main;

        @Command(name = "push", description = "Create or replace hardware from JSON (one record or a list).")
        int push(@Option(names = {"-f", "--file"}, required = true, description = "JSON file, or - for stdin") String file) throws CliException {
            String text = read(file).trim();
            Client c = main.client();
            List<String> bodies = new ArrayList<>();
            if (text.startsWith("[")) {
                try {
                    for (JsonNode n : Json.mapper().readTree(text)) {
                        bodies.add(n.toString());
                    }
                } catch (IOException e) {
                    throw new CliException(CliException.ERROR, "malformed JSON in " + file + ": " + e.getMessage());
                }
            } else {
                bodies.add(text);
            }
            for (String b : bodies) {
                JsonNode hw = c.post("/hardware", b, "application/json");
                main.output().record(hw, () -> out.println("pushed " + hw.get("id").asText()));
            }
            return 0;
        }

        @Command(name = "get", description = "Show hardware by id, MAC or IP.")
        int get(@Parameters(paramLabel = "ID|MAC|IP") String key) throws CliException {
            JsonNode hw = main.client().get("/hardware/" + enc(key));
            Output o = main.output();
            o.record(hw, () -> {
                try {
                    o.rows(hw, Json.mapper().createArrayNode().add(hw), columns());
                } catch (CliException e) {
                    throw new IllegalStateException(e);
                }
            });
            return 0;
        }

        @Command(name = "list", description = "List hardware.")
        int list(@Option(names = "--limit", defaultValue = "100") int limit, @Option(names = "--cursor") String cursor,
                 @Option(names = "--discovered", description = "machines that introduced themselves and wait for a rule to enroll them")
                 boolean discovered,
                 @Option(names = "--enrolled", description = "machines that introduced themselves and a rule (or the operator) enrolled")
                 boolean enrolled) throws CliException {
            if (discovered || enrolled) {
                if (discovered && enrolled) {
                    throw new CliException(CliException.USAGE, "--discovered and --enrolled exclude each other");
                }
                JsonNode all = main.client().get("/discovery/machines?state=" + (discovered ? "DISCOVERED" : "ENROLLED"));
                main.output().rows(all, all.get("items"), List.of(new Output.Column("ID", n -> n.get("hardwareId").asText()),
                        new Output.Column("MAC", n -> n.get("mac").asText()), new Output.Column("STATE", n -> n.get("state").asText()),
                        new Output.Column("RULE", n -> n.path("rule").asText("-")),
                        new Output.Column("DISCOVERED", n -> n.path("discoveredAt").asText())));
                return 0;
            }
            JsonNode page = main.client().get("/hardware?limit=" + limit + (cursor == null ? "" : "&cursor=" + enc(cursor)));
            main.output().rows(page, page.get("items"), columns());
            nextHint(page);
            return 0;
        }

        @Command(name = "inventory", description = "What a machine reported of itself from the in-memory OS (system, firmware, CPUs, "
                + "memory, disks, NICs, PCI, TPM, BMC), and with --history every change.")
        int inventory(@Parameters(paramLabel = "ID|MAC|IP") String key,
                      @Option(names = "--history", description = "every report that differed from the one before, newest first") boolean history,
                      @Option(names = "--attributes", description = "the machine as Tinkerbell's agent describes itself: what a rule's "
                              + "patterns (a WorkflowRuleSet's rules) match") boolean attributes)
                throws CliException {
            JsonNode all = main.client().get("/discovery/inventory/" + enc(key));
            if (attributes) {
                main.output().record(all.get("attributes"), () -> out.println(all.get("attributes").toPrettyString()));
                return 0;
            }
            main.output().record(all, () -> {
                JsonNode cur = all.get("current");
                JsonNode inv = cur.get("inventory");
                out.println("hardware:  " + all.get("hardwareId").asText() + "  (reported " + cur.path("collectedAt").asText() + ", changed "
                        + cur.path("changedAt").asText() + ")");
                JsonNode sys = inv.path("system");
                out.println("system:    " + sys.path("vendor").asText("?") + " " + sys.path("product").asText("?") + ", serial "
                        + sys.path("serial").asText("-") + ", uuid " + sys.path("uuid").asText("-"));
                JsonNode fw = inv.path("firmware");
                out.println("firmware:  " + fw.path("mode").asText("?") + " " + fw.path("vendor").asText("") + " " + fw.path("version").asText("")
                        + (fw.has("secureBoot") ? ", secure boot " + (fw.get("secureBoot").asBoolean() ? "on" : "off") : ""));
                JsonNode cpu = inv.path("cpu");
                out.println("cpu:       " + cpu.path("model").asText("?") + ", " + cpu.path("sockets").asText("?") + " socket(s), "
                        + cpu.path("cores").asText("?") + " cores, " + cpu.path("threads").asText("?") + " threads");
                out.println("memory:    " + inv.path("memory").path("totalBytes").asLong() / (1 << 20) + " MiB");
                inv.path("disks").forEach(d -> out.println("disk:      /dev/" + d.path("name").asText() + "  " + d.path("sizeBytes").asLong()
                        + " bytes  " + d.path("model").asText("") + " serial " + d.path("serial").asText("-") + " wwn " + d.path("wwn").asText("-")
                        + (d.path("rotational").asBoolean(true) ? "  rotational" : "  ssd") + "  " + d.path("bus").asText("")));
                inv.path("nics").forEach(n -> out.println("nic:       " + n.path("name").asText() + "  " + n.path("mac").asText() + "  "
                        + n.path("driver").asText("?") + "  " + (n.hasNonNull("speedMbps") ? n.get("speedMbps").asText() + " Mb/s" : "speed ?")
                        + (n.path("link").asBoolean(false) ? "  link up" : "  no link") + "  " + n.path("pciAddress").asText("")));
                out.println("pci:       " + inv.path("pci").size() + " functions");
                out.println("tpm:       " + (inv.path("tpm").path("present").asBoolean(false) ? "present " + inv.path("tpm").path("version").asText("")
                        : "none"));
                out.println("bmc:       " + (inv.path("bmc").path("present").asBoolean(false) ? inv.path("bmc").path("interfaceType").asText("present")
                        + " " + inv.path("bmc").path("address").asText("") : "none seen"));
                if (history) {
                    all.get("history").forEach(h -> out.println("changed:   " + h.get("at").asText() + "  " + h.get("inventory").path("disks").size()
                            + " disks, " + h.get("inventory").path("nics").size() + " NICs, "
                            + h.get("inventory").path("memory").path("totalBytes").asLong() / (1 << 20) + " MiB"));
                }
            });
            return 0;
        }

        @Command(name = "enroll", description = "Offer a discovered machine to the enrollment rules now (after a rule was added).")
        int enroll(@Parameters(paramLabel = "ID|MAC|IP") String key) throws CliException {
            JsonNode d = main.client().post("/discovery/machines/" + enc(key) + "/enroll", "{}", "application/json");
            main.output().record(d, () -> out.println(d.path("matches").asBoolean() ? key + " enrolled by rule " + d.get("rule").asText()
                    + (d.hasNonNull("workflow") ? ", workflow " + d.get("workflow").asText() : "")
                    : key + " waits: " + String.join("; ", Json.mapper().convertValue(d.path("reasons"), String[].class))));
            return 0;
        }

        @Command(name = "delete", description = "Delete hardware by id, MAC or IP.")
        int delete(@Parameters(paramLabel = "ID|MAC|IP") String key) throws CliException {
            main.client().delete("/hardware/" + enc(key));
            out.println("deleted " + key);
            return 0;
        }

        static List<Output.Column> columns() {
            return List.of(
                    new Output.Column("ID", n -> Output.text(n, "id")),
                    new Output.Column("MAC", n -> join(n, "mac")),
                    new Output.Column("IP", n -> joinIp(n)),
                    new Output.Column("HOSTNAME", n -> join(n, "hostname")),
                    new Output.Column("PXE", n -> String.valueOf(n.at("/network/interfaces/0/netboot/allow_pxe").asBoolean(false))),
                    new Output.Column("WORKFLOW", n -> String.valueOf(n.at("/network/interfaces/0/netboot/allow_workflow").asBoolean(false))));
        }

        private static String join(JsonNode hw, String field) {
            List<String> v = new ArrayList<>();
            hw.at("/network/interfaces").forEach(i -> {
                if (i.at("/dhcp/" + field).isTextual()) {
                    v.add(i.at("/dhcp/" + field).asText());
                }
            });
            return String.join(",", v);
        }

        private static String joinIp(JsonNode hw) {
            List<String> v = new ArrayList<>();
            hw.at("/network/interfaces").forEach(i -> {
                if (i.at("/dhcp/ip/address").isTextual()) {
                    v.add(i.at("/dhcp/ip/address").asText());
                }
            });
            return String.join(",", v);
        }
    }

    // ---- templates -----------------------------------------------------------------------------

    @Command(name = "template", description = "Store and inspect workflow templates (Tinkerbell YAML).",
            subcommands = {CommandLine.HelpCommand.class})
    static final class TemplateCmd {
        @ParentCommand
        Main main;

        @Command(name = "create", description = "Store a new template; it is validated first.")
        int create(@Option(names = {"-f", "--file"}, required = true, description = "YAML file, or - for stdin") String file,
                   @Option(names = "--name", description = "name (default: the YAML's name)") String name) throws CliException {
            JsonNode t = main.client().post("/templates" + (name == null ? "" : "?name=" + enc(name)), read(file), "application/yaml");
            main.output().record(t, () -> out.println("created template " + t.get("name").asText() + " (" + t.get("id").asText() + ")"));
            return 0;
        }

        @Command(name = "update", description = "Store a new revision of a template.")
        int update(@Parameters(paramLabel = "ID|NAME") String key,
                   @Option(names = {"-f", "--file"}, required = true) String file,
                   @Option(names = "--revision", description = "fail unless this is the current revision") Integer revision) throws CliException {
            JsonNode t = main.client().put("/templates/" + enc(key) + (revision == null ? "" : "?revision=" + revision), read(file),
                    "application/yaml");
            main.output().record(t, () -> out.println("template " + t.get("name").asText() + " is at revision " + t.get("revision").asInt()));
            return 0;
        }

        @Command(name = "get", description = "Print a template's YAML.")
        int get(@Parameters(paramLabel = "ID|NAME") String key, @Option(names = "--revision") Integer revision) throws CliException {
            JsonNode t = main.client().get("/templates/" + enc(key) + (revision == null ? "" : "?revision=" + revision));
            main.output().record(t, () -> out.print(t.get("data").asText()));
            return 0;
        }

        @Command(name = "list", description = "List templates.")
        int list(@Option(names = "--limit", defaultValue = "100") int limit, @Option(names = "--cursor") String cursor) throws CliException {
            JsonNode page = main.client().get("/templates?limit=" + limit + (cursor == null ? "" : "&cursor=" + enc(cursor)));
            main.output().rows(page, page.get("items"), List.of(
                    new Output.Column("ID", n -> Output.text(n, "id")),
                    new Output.Column("NAME", n -> Output.text(n, "name")),
                    new Output.Column("REVISION", n -> Output.text(n, "revision")),
                    new Output.Column("UPDATED", n -> Output.text(n, "updatedAt"))));
            nextHint(page);
            return 0;
        }

        @Command(name = "delete", description = "Delete a template and its revisions.")
        int delete(@Parameters(paramLabel = "ID|NAME") String key) throws CliException {
            main.client().delete("/templates/" + enc(key));
            out.println("deleted template " + key);
            return 0;
        }
    }

    // ---- workflows -----------------------------------------------------------------------------

    @Command(name = "workflow", description = "Create, follow and cancel workflows.", subcommands = {CommandLine.HelpCommand.class})
    static final class WorkflowCmd {
        @ParentCommand
        Main main;

        @Command(name = "create", description = "Create a workflow from a template for machines.")
        int create(@Option(names = {"-t", "--template"}, required = true) String template,
                   @Option(names = {"-r", "--hardware"}, required = true, description = "hardware map as JSON, e.g. '{\"device_1\":\"52:54:00:12:34:56\"}'")
                   String map) throws CliException {
            ObjectNode body = Json.mapper().createObjectNode();
            body.put("template", template);
            try {
                body.set("hardware", Json.mapper().readTree(map));
            } catch (IOException e) {
                throw new CliException(CliException.ERROR, "-r must be JSON like {\"device_1\":\"<MAC>\"}: " + e.getMessage());
            }
            JsonNode w = main.client().post("/workflows", body.toString(), "application/json");
            main.output().record(w, () -> out.println(w.get("id").asText()));
            return 0;
        }

        @Command(name = "get", description = "Show a workflow and its actions.")
        int get(@Parameters(paramLabel = "ID") String id) throws CliException {
            JsonNode w = main.client().get("/workflows/" + enc(id));
            Output o = main.output();
            o.record(w, () -> {
                out.println("workflow  " + w.get("id").asText());
                out.println("template  " + Output.text(w, "template", "name") + " (revision " + Output.text(w, "templateRevision") + ")");
                out.println("state     " + Output.text(w, "state"));
                out.println("created   " + Output.text(w, "createdAt"));
                if (w.hasNonNull("bootOptions")) {
                    out.println("boot      " + Output.text(w, "bootOptions"));
                }
                out.println();
                try {
                    o.rows(w, indexed(w.get("actions")), actionColumns());
                } catch (CliException e) {
                    throw new IllegalStateException(e);
                }
            });
            return 0;
        }

        @Command(name = "list", description = "List workflows, newest first.")
        int list(@Option(names = "--limit", defaultValue = "100") int limit, @Option(names = "--cursor") String cursor) throws CliException {
            JsonNode page = main.client().get("/workflows?limit=" + limit + (cursor == null ? "" : "&cursor=" + enc(cursor)));
            main.output().rows(page, page.get("items"), List.of(
                    new Output.Column("ID", n -> Output.text(n, "id")),
                    new Output.Column("TEMPLATE", n -> Output.text(n, "template", "name")),
                    new Output.Column("STATE", n -> Output.text(n, "state")),
                    new Output.Column("ACTION", n -> current(n)),
                    new Output.Column("CREATED", n -> Output.text(n, "createdAt"))));
            nextHint(page);
            return 0;
        }

        @Command(name = "cancel", description = "Cancel a workflow that has not ended.")
        int cancel(@Parameters(paramLabel = "ID") String id) throws CliException {
            JsonNode w = main.client().post("/workflows/" + enc(id) + "/cancel", null, null);
            main.output().record(w, () -> out.println("workflow " + id + " is " + w.get("state").asText()));
            return 0;
        }

        @Command(name = "retry", description = "Run a failed, timed-out or cancelled workflow again: a new workflow of the same template and hardware.")
        int retry(@Parameters(paramLabel = "ID") String id) throws CliException {
            JsonNode w = main.client().post("/workflows/" + enc(id) + "/retry", null, null);
            main.output().record(w, () -> out.println("workflow " + w.get("id").asText() + " created (a retry of " + id + ")"));
            return 0;
        }

        @Command(name = "delete", description = "Delete a workflow with its events.")
        int delete(@Parameters(paramLabel = "ID") String id) throws CliException {
            main.client().delete("/workflows/" + enc(id));
            out.println("deleted workflow " + id);
            return 0;
        }

        @Command(name = "events", description = "List a workflow's events.")
        int events(@Parameters(paramLabel = "ID") String id, @Option(names = "--after", defaultValue = "0") long after,
                   @Option(names = "--limit", defaultValue = "1000") int limit) throws CliException {
            JsonNode page = main.client().get("/workflows/" + enc(id) + "/events?after=" + after + "&limit=" + limit);
            main.output().rows(page, page.get("items"), eventColumns());
            return 0;
        }

        @Command(name = "watch", description = "Follow a workflow live: each action's state, and a progress bar while one reports progress.")
        int watch(@Parameters(paramLabel = "ID") String id, @Option(names = "--interval", defaultValue = "1000", description = "poll interval, ms") long interval)
                throws CliException {
            Client c = main.client();
            long after = 0;
            String bar = null;
            while (true) {
                JsonNode w = c.get("/workflows/" + enc(id));
                // events after reading the state: when it ended, its last events are already stored
                for (JsonNode e : c.get("/workflows/" + enc(id) + "/events?after=" + after + "&limit=1000").get("items")) {
                    if (bar != null) {
                        out.println();
                        bar = null;
                    }
                    out.println(Output.text(e, "at") + "  " + (e.hasNonNull("action") ? Output.text(e, "action") : "workflow") + "  "
                            + Output.text(e, "state") + (e.hasNonNull("message") ? "  " + e.get("message").asText() : ""));
                    after = e.get("sequence").asLong();
                }
                String state = w.get("state").asText();
                if (!state.equals("PENDING") && !state.equals("RUNNING")) {
                    if (!state.equals("SUCCESS")) {
                        throw new CliException(CliException.WORKFLOW_FAILED, "workflow " + id + " ended " + state);
                    }
                    return 0;
                }
                JsonNode a = w.get("actions").get(w.get("currentAction").asInt());
                if (a != null && a.hasNonNull("progress")) {
                    bar = progressBar(a.get("name").asText(), a.get("progress"));
                    out.print("\r" + bar);
                    out.flush();
                }
                sleep(interval);
            }
        }

        static String progressBar(String action, JsonNode p) {
            long done = p.path("done").asLong();
            long total = p.path("total").asLong(-1);
            double rate = p.path("rate").asDouble(-1);
            StringBuilder b = new StringBuilder(action).append(" [");
            int width = 30;
            int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
            b.append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
            b.append(bytes(done)).append(total > 0 ? " / " + bytes(total) + String.format(" (%.0f%%)", 100.0 * done / total) : "");
            if (rate > 0) {
                b.append("  ").append(bytes((long) rate)).append("/s");
            }
            return b.toString();
        }

        private static String bytes(long n) {
            return n >= 1 << 30 ? String.format("%.1f GiB", n / (double) (1 << 30)) : n >= 1 << 20 ? String.format("%.1f MiB", n / (double) (1 << 20))
                    : n >= 1024 ? String.format("%.1f KiB", n / 1024.0) : n + " B";
        }

        private static String current(JsonNode w) {
            JsonNode a = w.path("actions").path(w.path("currentAction").asInt());
            return a.isMissingNode() ? "" : a.path("name").asText() + " (" + a.path("state").asText() + ")";
        }

        private static JsonNode indexed(JsonNode actions) {
            var arr = Json.mapper().createArrayNode();
            int i = 0;
            for (JsonNode a : actions) {
                ObjectNode o = ((ObjectNode) a).deepCopy();
                o.put("#", i++);
                arr.add(o);
            }
            return arr;
        }

        static List<Output.Column> actionColumns() {
            return List.of(
                    new Output.Column("#", n -> Output.text(n, "#")),
                    new Output.Column("TASK", n -> Output.text(n, "task")),
                    new Output.Column("ACTION", n -> Output.text(n, "name")),
                    new Output.Column("WORKER", n -> Output.text(n, "worker")),
                    new Output.Column("STATE", n -> Output.text(n, "state")),
                    new Output.Column("ATTEMPTS", n -> Output.text(n, "attempts")),
                    new Output.Column("MESSAGE", n -> Output.text(n, "message")));
        }

        static List<Output.Column> eventColumns() {
            return List.of(
                    new Output.Column("SEQ", n -> Output.text(n, "sequence")),
                    new Output.Column("AT", n -> Output.text(n, "at")),
                    new Output.Column("ACTION", n -> n.hasNonNull("action") ? n.get("action").asText() : "(workflow)"),
                    new Output.Column("STATE", n -> Output.text(n, "state")),
                    new Output.Column("MESSAGE", n -> Output.text(n, "message")));
        }
    }

    // ---- logs ------------------------------------------------------------------------------------

    /**
     * Prints a machine's log. What a machine wrote never reaches the terminal as it is: control
     * characters (escape sequences that clear the screen, set the title or move the cursor; CR
     * and LF that would forge a line of their own) print as {@code \x1b}, C1 controls and
     * bidirectional overrides as a backslash, {@code u} and four hex digits, and in JSON as JSON
     * escapes. Lines that came over syslog print as {@code unauthenticated syslog}: anyone on the
     * network can send them in a machine's name.
     */
    @Command(name = "logs", description = "Print a machine's log (syslog of its in-memory OS and its actions' output). "
            + "Control characters print escaped; syslog lines, which anyone can forge, print as 'unauthenticated syslog'.")
    static final class LogsCmd implements Callable<Integer> {
        @ParentCommand
        Main main;

        @Parameters(paramLabel = "MACHINE", description = "hardware id, MAC or IP")
        String machine;

        @Option(names = {"-f", "--follow"}, description = "keep printing new lines")
        boolean follow;

        @Option(names = "--tail", defaultValue = "100", description = "how many of the last lines")
        int tail;

        @Override
        public Integer call() throws CliException {
            Client c = main.client();
            if (follow) {
                c.stream("/machines/" + enc(machine) + "/logs/stream", this::print);
                return 0;
            }
            JsonNode r = c.get("/machines/" + enc(machine) + "/logs?tail=" + tail);
            if (main.format == Output.Format.json) {
                try {
                    out.println(Json.mapper().writerWithDefaultPrettyPrinter().with(new NoControls()).writeValueAsString(r));
                } catch (IOException e) {
                    throw new CliException(CliException.ERROR, "cannot print the log: " + e.getMessage());
                }
            } else if (main.format != Output.Format.table) {
                main.output().raw(r);
            } else {
                r.get("lines").forEach(this::print);
            }
            return 0;
        }

        private void print(JsonNode l) {
            // a server from before the mark still serves syslog lines as source syslog
            boolean syslog = l.path("unauthenticated").asBoolean(false) || "syslog".equals(l.path("source").asText());
            out.println(Output.text(l, "at") + " " + (syslog ? "unauthenticated " : "") + Output.text(l, "source")
                    + ": " + Output.text(l, "text"));
            out.flush();
        }
    }


    /** JSON escapes for what {@link Output#printable} escapes: the same JSON, safe for a terminal. */
    private static final class NoControls extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

        NoControls() {
            ascii[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return Output.unsafe((char) ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }

    // ---- backup and restore --------------------------------------------------------------------

    /** Backups can take long: the server writes every table. */
    static final java.time.Duration BACKUP_TIMEOUT = java.time.Duration.ofMinutes(30);

    /** Asks the server to write all state to FILE, or to load FILE into its empty database: a file in its backup directory. */
    private int snapshot(String verb, String file) throws CliException {
        JsonNode r = client().send("POST", "/" + verb, java.util.Map.of("file", file), BACKUP_TIMEOUT);
        output().record(r, () -> out.println(r.toString()));
        return 0;
    }

    @Command(name = "backup", description = "The server writes a snapshot of all state to FILE in its backup directory "
            + "(backup.dir, data/backups by default), never over an existing file.")
    int backup(@Parameters(paramLabel = "FILE", description = "a new file name in the server's backup directory") String file)
            throws CliException {
        return snapshot("backup", file);
    }

    @Command(name = "restore", description = "The server loads the snapshot FILE from its backup directory into its empty database.")
    int restore(@Parameters(paramLabel = "FILE", description = "a snapshot that `ironbell backup` wrote, by its name") String file)
            throws CliException {
        return snapshot("restore", file);
    }

    @Command(name = "completion", description = "Print a bash/zsh completion script: source <(ironbell completion)")
    static final class CompletionCmd implements Callable<Integer> {
        @Override
        public Integer call() {
            out.print(AutoComplete.bash("ironbell", new CommandLine(new Main())));
            return 0;
        }
    }

    static String enc(String s) {
        return Client.enc(s);
    }

    static void nextHint(JsonNode page) {
        if (page.hasNonNull("next") && System.console() != null) {
            System.err.println("(more: --cursor " + page.get("next").asText() + ")");
        }
    }

    static void sleep(long ms) throws CliException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.ERROR, "interrupted");
        }
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"ironbell " + (v == null ? "(development build)" : v)};
        }
    }

    private Main() {
    }
}
