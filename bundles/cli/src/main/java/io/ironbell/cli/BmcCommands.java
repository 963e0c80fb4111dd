package io.ironbell.cli;

import static io.ironbell.cli.Main.enc;
import static io.ironbell.cli.Main.out;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ironbell bmc}: machines' BMCs ({@code machine create|get|list|delete}), one-shot commands
 * ({@code power}, {@code boot}, {@code media}: each waits for its job and prints the outcome), jobs
 * ({@code job create|get|list|watch|delete}) and the drivers deployed.
 */
final class BmcCommands {

    private BmcCommands() {
    }

    @Command(name = "bmc", description = "Power and boot control through machines' BMCs (IPMI, Redfish, vendors' drivers).",
            subcommands = {BmcCommands.MachineCmd.class, BmcCommands.JobCmd.class, CommandLine.HelpCommand.class})
    static final class BmcCmd {
        @ParentCommand
        Main main;

        @Command(name = "power", description = "Power a machine on, off (hard), soft (ACPI), cycle or reset, or read its status; waits for the "
                + "BMC to report the state asked for.")
        int power(@Parameters(paramLabel = "MACHINE", description = "the BMC machine's name, or its hardware's id, MAC or IP") String machine,
                  @Parameters(paramLabel = "ACTION", description = "on, off, soft, cycle, reset or status") String action) throws CliException {
            return oneShot(main, machine, "power", Map.of("action", action));
        }

        @Command(name = "boot", description = "Set the device a machine boots from next (once, unless --persistent).")
        int boot(@Parameters(paramLabel = "MACHINE") String machine,
                 @Parameters(paramLabel = "DEVICE", description = "pxe, disk, cdrom or bios") String device,
                 @Option(names = "--once", description = "the next boot only (the default)") boolean once,
                 @Option(names = "--persistent", description = "every boot from now on") boolean persistent,
                 @Option(names = "--efi", description = "boot in UEFI mode (else legacy BIOS)") boolean efi) throws CliException {
            if (once && persistent) {
                throw new CliException(CliException.USAGE, "--once and --persistent exclude each other");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("device", device);
            body.put("persistent", persistent);
            body.put("efiBoot", efi);
            return oneShot(main, machine, "boot", body);
        }

        @Command(name = "media", description = "Insert an image (an http(s) URL the BMC fetches) as a virtual CD, or eject it.")
        int media(@Parameters(paramLabel = "MACHINE") String machine,
                  @Parameters(paramLabel = "URL", arity = "0..1", description = "the image; none with --eject") String url,
                  @Option(names = "--eject", description = "eject the virtual CD") boolean eject) throws CliException {
            if (eject == (url != null)) {
                throw new CliException(CliException.USAGE, "give a URL, or --eject");
            }
            return oneShot(main, machine, "media", Map.of("url", eject ? "" : url));
        }

        @Command(name = "inventory", description = "What a machine's BMC knows of it (vendor, model, serial, BIOS...), read now.")
        int inventory(@Parameters(paramLabel = "MACHINE") String machine) throws CliException {
            JsonNode i = main.client().get("/bmc/machines/" + enc(machine) + "/inventory");
            main.output().record(i, () -> i.get("inventory").properties().forEach(e -> out.println(e.getKey() + ": " + e.getValue().asText())));
            return 0;
        }

        @Command(name = "sensors", description = "A machine's sensors as its BMC reads them now.")
        int sensors(@Parameters(paramLabel = "MACHINE") String machine) throws CliException {
            JsonNode all = main.client().get("/bmc/machines/" + enc(machine) + "/sensors");
            main.output().rows(all, all.get("sensors"), List.of(new Output.Column("SENSOR", n -> n.get("name").asText()),
                    new Output.Column("VALUE", n -> n.path("value").asText("-")), new Output.Column("UNIT", n -> n.path("unit").asText("")),
                    new Output.Column("STATE", n -> n.path("state").asText(""))));
            return 0;
        }

        @Command(name = "drivers", description = "The BMC drivers deployed, highest ranking first.")
        int drivers() throws CliException {
            JsonNode d = main.client().get("/bmc/drivers");
            main.output().record(d, () -> d.get("drivers").forEach(n -> out.println(n.asText())));
            return 0;
        }
    }

    private static int oneShot(Main main, String machine, String command, Map<String, ?> body) throws CliException {
        JsonNode job = main.client().send("POST", "/bmc/machines/" + enc(machine) + "/" + command + "?wait=true", body, Duration.ofMinutes(6));
        JsonNode task = job.path("tasks").path(0);
        main.output().record(job, () -> out.println(machine + ": " + (task.hasNonNull("message") ? task.get("message").asText()
                : job.path("state").asText()) + "  (job " + job.path("id").asText() + ")"));
        return ended(job);
    }

    private static int ended(JsonNode job) throws CliException {
        String state = job.path("state").asText();
        if (state.equals("FAILED")) {
            throw new CliException(CliException.WORKFLOW_FAILED, "BMC job " + job.path("id").asText() + " failed: " + job.path("message").asText());
        }
        if (!state.equals("SUCCEEDED")) {
            throw new CliException(CliException.WORKFLOW_FAILED, "BMC job " + job.path("id").asText() + " is still " + state
                    + " (ironbell bmc job watch " + job.path("id").asText() + ")");
        }
        return 0;
    }

    @Command(name = "machine", description = "Machines' BMCs: where they are, which driver, their credentials (kept encrypted, never shown).",
            subcommands = {CommandLine.HelpCommand.class})
    static final class MachineCmd {
        @ParentCommand
        BmcCmd bmc;

        @Command(name = "create", description = "Create or replace a machine's BMC (admins). The password is read from --password-file or "
                + "IRONBELL_BMC_PASSWORD, never from the command line.")
        int create(@Parameters(paramLabel = "NAME") String name,
                   @Option(names = "--host", required = true, description = "the BMC's address") String host,
                   @Option(names = "--port", defaultValue = "0", description = "0: the driver's default (623 IPMI, 443 Redfish)") int port,
                   @Option(names = "--driver", defaultValue = "auto", description = "ipmi, redfish, a vendor's, or auto (probe)") String driver,
                   @Option(names = "--username", description = "the BMC user") String username,
                   @Option(names = "--password-file", description = "a file holding the BMC password") String passwordFile,
                   @Option(names = "--secret", description = "instead of a user and password: a Secret applied with them (keys username, password)")
                   String secret,
                   @Option(names = "--hardware", description = "the hardware record it powers (id, MAC or IP)") String hardware,
                   @Option(names = "--insecure-tls", description = "accept any certificate from this BMC") boolean insecure,
                   @Option(names = "--bmc-ca", description = "a PEM file of the CA(s) this BMC's certificate is checked against") String ca,
                   @Option(names = "--option", description = "a driver option, e.g. cipherSuite=17, systemName=1, useBasicAuth=true")
                   Map<String, String> options) throws CliException {
            ObjectNode body = Json.mapper().createObjectNode();
            body.put("name", name).put("host", host).put("port", port).put("driver", driver).put("insecureTls", insecure);
            if (username != null) {
                body.put("username", username);
                String password = passwordFile != null ? read(passwordFile).strip() : System.getenv("IRONBELL_BMC_PASSWORD");
                if (password == null || password.isEmpty()) {
                    throw new CliException(CliException.USAGE, "--username needs the password in --password-file or IRONBELL_BMC_PASSWORD");
                }
                body.put("password", password);
            }
            if (secret != null) {
                body.put("authSecretRef", secret);
            }
            if (hardware != null) {
                body.put("hardwareId", hardware);
            }
            if (ca != null) {
                body.put("caPem", read(ca));
            }
            if (options != null) {
                body.set("options", Json.mapper().valueToTree(options));
            }
            JsonNode m = bmc.main.client().send("POST", "/bmc/machines", body, Duration.ofSeconds(60));
            bmc.main.output().record(m, () -> out.println("machine " + m.get("name").asText() + " (" + m.get("driver").asText() + " at "
                    + m.get("host").asText() + ", credentials in Secret " + m.path("authSecretRef").asText() + ")"));
            return 0;
        }

        @Command(name = "get", description = "Show a machine's BMC and what it last said of its power.")
        int get(@Parameters(paramLabel = "MACHINE") String machine) throws CliException {
            bmc.main.output().object(bmc.main.client().get("/bmc/machines/" + enc(machine)));
            return 0;
        }

        @Command(name = "list", description = "Every machine's BMC with its last power state.")
        int list() throws CliException {
            JsonNode all = bmc.main.client().get("/bmc/machines");
            bmc.main.output().rows(all, all.get("items"), List.of(new Output.Column("NAME", n -> n.get("name").asText()),
                    new Output.Column("DRIVER", n -> n.get("driver").asText()), new Output.Column("HOST", n -> n.get("host").asText()),
                    new Output.Column("HARDWARE", n -> n.path("hardwareId").asText("-")),
                    new Output.Column("POWER", n -> n.get("powerState").asText().toLowerCase(java.util.Locale.ROOT)),
                    new Output.Column("CHECKED", n -> n.path("powerCheckedAt").asText("-")),
                    new Output.Column("MESSAGE", n -> n.path("message").asText(""))));
            return 0;
        }

        @Command(name = "delete", description = "Delete a machine's BMC and its jobs (admins); its Secret stays.")
        int delete(@Parameters(paramLabel = "MACHINE") String machine) throws CliException {
            bmc.main.client().delete("/bmc/machines/" + enc(machine));
            out.println("deleted " + machine);
            return 0;
        }
    }

    @Command(name = "job", description = "BMC jobs: ordered tasks (Rufio's actions) for one machine.", subcommands = {CommandLine.HelpCommand.class})
    static final class JobCmd {
        @ParentCommand
        BmcCmd bmc;

        @Command(name = "create", description = "Create a job from a JSON file: {\"name\", \"machine\", \"tasks\": [{\"powerAction\": \"off\"}, "
                + "{\"bootDevice\": {\"device\": \"pxe\", \"efiBoot\": true}}, {\"powerAction\": \"on\"}], \"taskTimeoutSeconds\", \"maxAttempts\"}; "
                + "a Rufio Job goes through ironbell apply.")
        int create(@Parameters(paramLabel = "FILE", description = "the job as JSON; - reads standard input") String file,
                   @Option(names = "--watch", description = "follow it until it ends") boolean watch) throws CliException {
            String text = file.equals("-") ? readStdin() : read(file);
            JsonNode body;
            try {
                body = Json.mapper().readTree(text);
            } catch (IOException e) {
                throw new CliException(CliException.USAGE, file + " is not JSON: " + e.getMessage());
            }
            JsonNode job = bmc.main.client().send("POST", "/bmc/jobs", body, Duration.ofSeconds(60));
            out.println("job " + job.get("id").asText() + " created for " + job.get("machine").asText());
            return watch ? follow(bmc.main, job.get("id").asText()) : 0;
        }

        @Command(name = "get", description = "Show a job and its tasks.")
        int get(@Parameters(paramLabel = "JOB") String id) throws CliException {
            JsonNode j = bmc.main.client().get("/bmc/jobs/" + enc(id));
            bmc.main.output().record(j, () -> {
                out.println("job      " + j.get("id").asText() + "  (machine " + j.get("machine").asText() + ")");
                out.println("state    " + j.get("state").asText() + (j.hasNonNull("message") ? "  " + j.get("message").asText() : ""));
                int i = 0;
                for (JsonNode t : j.get("tasks")) {
                    out.println(String.format("  %2d %-10s %-34s attempts %d  %s", i++, t.get("state").asText(), describe(t.get("action")),
                            t.path("attempts").asInt(), t.path("message").asText("")));
                }
            });
            return 0;
        }

        @Command(name = "list", description = "Jobs, newest first.")
        int list(@Option(names = "--machine", description = "of one machine") String machine,
                 @Option(names = "--limit", defaultValue = "50") int limit) throws CliException {
            JsonNode all = bmc.main.client().get("/bmc/jobs?limit=" + limit + (machine == null ? "" : "&machine=" + enc(machine)));
            bmc.main.output().rows(all, all.get("items"), List.of(new Output.Column("JOB", n -> n.get("id").asText()),
                    new Output.Column("MACHINE", n -> n.get("machine").asText()), new Output.Column("STATE", n -> n.get("state").asText()),
                    new Output.Column("TASKS", n -> Integer.toString(n.get("tasks").size())),
                    new Output.Column("CREATED", n -> n.path("createdAt").asText("-")),
                    new Output.Column("MESSAGE", n -> n.path("message").asText(""))));
            return 0;
        }

        @Command(name = "watch", description = "Follow a job live until it ends; exit status 8 when it failed.")
        int watch(@Parameters(paramLabel = "JOB") String id) throws CliException {
            return follow(bmc.main, id);
        }

        @Command(name = "delete", description = "Delete a job and its events.")
        int delete(@Parameters(paramLabel = "JOB") String id) throws CliException {
            bmc.main.client().delete("/bmc/jobs/" + enc(id));
            out.println("deleted " + id);
            return 0;
        }
    }

    private static int follow(Main main, String id) throws CliException {
        main.client().stream("/bmc/jobs/" + enc(id) + "/events/stream", e -> out.println(e.path("at").asText() + "  "
                + (e.hasNonNull("task") ? "task " + e.get("task").asInt() : "job") + "  " + e.path("type").asText()
                + (e.hasNonNull("message") ? "  " + e.get("message").asText() : "")));
        return ended(main.client().get("/bmc/jobs/" + enc(id)));
    }

    private static String describe(JsonNode a) {
        if (a.hasNonNull("power")) {
            return "power " + a.get("power").asText().toLowerCase(java.util.Locale.ROOT);
        }
        if (a.hasNonNull("bootDevice")) {
            return "boot " + a.get("bootDevice").asText().toLowerCase(java.util.Locale.ROOT) + (a.path("persistent").asBoolean() ? " persistent" : " once")
                    + (a.path("efiBoot").asBoolean() ? " efi" : "");
        }
        String url = a.path("mediaUrl").asText("");
        return url.isEmpty() ? "media eject" : "media " + url;
    }

    private static String read(String file) throws CliException {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String readStdin() throws CliException {
        try {
            return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "cannot read standard input: " + e.getMessage());
        }
    }
}
