package io.ironbell.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code ironbell token create|list|revoke} and {@code ironbell audit}: who may call the API, and what was done. */
final class AccessCommands {

    private AccessCommands() {
    }

    @Command(name = "token", description = "Named API tokens with roles (admin, operator, viewer) and expiry; admins only.",
            subcommands = {CommandLine.HelpCommand.class})
    static final class TokenCmd {
        @ParentCommand
        Main main;

        @Command(name = "create", description = "Create a token and print it, once: it is stored only as a hash.")
        int create(@Parameters(paramLabel = "NAME", description = "a unique name, e.g. ci or alice") String name,
                   @Option(names = "--role", required = true, description = "admin, operator or viewer") String role,
                   @Option(names = "--expires", description = "a duration (90d, 12h, 30m) or an instant (2027-01-01T00:00:00Z); "
                           + "default: never") String expires) throws CliException {
            JsonNode r = main.client().send("POST", "/tokens", expires == null ? Map.of("name", name, "role", role)
                    : Map.of("name", name, "role", role, "expires", expires), java.time.Duration.ofSeconds(60));
            main.output().record(r, () -> {
                Main.out.println(r.get("token").asText());
                System.err.println("token " + name + " (" + role + ") created; it is shown only now"
                        + (expires == null ? "" : ", it expires " + r.at("/record/expiresAt").asText()));
            });
            return 0;
        }

        @Command(name = "list", description = "List the tokens (never their secrets).")
        int list() throws CliException {
            JsonNode page = main.client().get("/tokens");
            main.output().rows(page, page.get("items"), List.of(
                    new Output.Column("NAME", n -> Output.text(n, "name")),
                    new Output.Column("ROLE", n -> Output.text(n, "role").toLowerCase(java.util.Locale.ROOT)),
                    new Output.Column("CREATED", n -> Output.text(n, "createdAt")),
                    new Output.Column("BY", n -> Output.text(n, "createdBy")),
                    new Output.Column("EXPIRES", n -> n.hasNonNull("expiresAt") ? n.get("expiresAt").asText() : "never"),
                    new Output.Column("REVOKED", n -> n.hasNonNull("revokedAt") ? n.get("revokedAt").asText() : ""),
                    new Output.Column("LAST USED", n -> n.hasNonNull("lastUsedAt") ? n.get("lastUsedAt").asText() : "")));
            return 0;
        }

        @Command(name = "revoke", description = "Revoke a token: it stops working at once.")
        int revoke(@Parameters(paramLabel = "NAME") String name) throws CliException {
            JsonNode r = main.client().delete("/tokens/" + Main.enc(name));
            main.output().record(r, () -> Main.out.println("revoked " + r.get("name").asText()));
            return 0;
        }
    }

    @Command(name = "audit", description = "The audit log: every change, who made it, when and from where; admins only.")
    static final class AuditCmd implements Callable<Integer> {
        @ParentCommand
        Main main;

        @Option(names = "--after", defaultValue = "0", description = "entries after this sequence number")
        long after;

        @Option(names = "--limit", defaultValue = "100", description = "at most this many")
        int limit;

        @Override
        public Integer call() throws CliException {
            JsonNode page = main.client().get("/audit?after=" + after + "&limit=" + limit);
            main.output().rows(page, page.get("items"), List.of(
                    new Output.Column("SEQ", n -> Output.text(n, "sequence")),
                    new Output.Column("AT", n -> Output.text(n, "at")),
                    new Output.Column("WHO", n -> Output.text(n, "actor") + " (" + Output.text(n, "role").toLowerCase(java.util.Locale.ROOT) + ")"),
                    new Output.Column("FROM", n -> Output.text(n, "source")),
                    new Output.Column("ACTION", n -> Output.text(n, "action")),
                    new Output.Column("TARGET", n -> Output.text(n, "target")),
                    new Output.Column("DETAIL", n -> n.path("detail").isEmpty() ? "" : n.get("detail").toString())));
            return 0;
        }
    }
}
