package io.ironbell.cli;

import static io.ironbell.cli.Main.enc;
import static io.ironbell.cli.Main.out;

import com.fasterxml.jackson.databind.JsonNode;
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
 * {@code ironbell pool}: the DHCP address pools every server instance shares, for machines no
 * reservation names ({@code create|list|get|delete}), and their leases.
 */
final class PoolCommands {

    private PoolCommands() {
    }

    @Command(name = "pool", description = "DHCP address pools for machines without a reservation, shared by every server instance.",
            subcommands = {CommandLine.HelpCommand.class})
    static final class PoolCmd {
        @ParentCommand
        Main main;

        @Command(name = "create", description = "Create or replace a pool (admins).")
        int create(@Parameters(paramLabel = "NAME") String name,
                   @Option(names = "--subnet", required = true, description = "the pool's network, CIDR (10.0.8.0/24)") String subnet,
                   @Option(names = "--range", required = true, description = "FIRST-LAST, in the subnet") String range,
                   @Option(names = "--router", description = "the default router given to clients") String router,
                   @Option(names = "--dns", split = ",", description = "name servers given to clients") List<String> dns,
                   @Option(names = "--relay", split = ",", description = "relay agents (giaddr) outside the subnet whose requests it answers")
                   List<String> relays,
                   @Option(names = "--lease", defaultValue = "3600", description = "lease seconds (default ${DEFAULT-VALUE})") int lease,
                   @Option(names = "--offer", defaultValue = "60", description = "seconds an offer is held (default ${DEFAULT-VALUE})") int offer)
                throws CliException {
            String[] r = range.split("-");
            if (r.length != 2) {
                throw new CliException(CliException.USAGE, "--range must be FIRST-LAST, was " + range);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("subnet", subnet);
            body.put("firstAddress", r[0].trim());
            body.put("lastAddress", r[1].trim());
            body.put("router", router);
            body.put("dns", dns);
            body.put("relays", relays);
            body.put("leaseSeconds", lease);
            body.put("offerSeconds", offer);
            JsonNode p = main.client().send("PUT", "/dhcp/pools/" + enc(name), body, Duration.ofSeconds(30));
            main.output().record(p, () -> out.println("pool/" + name + " " + p.get("firstAddress").asText() + "-" + p.get("lastAddress").asText()));
            return 0;
        }

        @Command(name = "list", description = "The pools.")
        int list() throws CliException {
            JsonNode all = main.client().get("/dhcp/pools");
            main.output().rows(all, all.get("items"), List.of(new Output.Column("NAME", n -> n.get("name").asText()),
                    new Output.Column("SUBNET", n -> n.get("subnet").asText()),
                    new Output.Column("RANGE", n -> n.get("firstAddress").asText() + "-" + n.get("lastAddress").asText()),
                    new Output.Column("ROUTER", n -> n.path("router").asText("-")),
                    new Output.Column("LEASE", n -> n.get("leaseSeconds").asText() + "s")));
            return 0;
        }

        @Command(name = "get", description = "One pool.")
        int get(@Parameters(paramLabel = "NAME") String name) throws CliException {
            JsonNode p = main.client().get("/dhcp/pools/" + enc(name));
            main.output().record(p, () -> p.properties().forEach(e -> out.println(e.getKey() + ": " + e.getValue())));
            return 0;
        }

        @Command(name = "leases", description = "A pool's leases: address, MAC, state, until when.")
        int leases(@Parameters(paramLabel = "NAME") String name) throws CliException {
            JsonNode all = main.client().get("/dhcp/pools/" + enc(name) + "/leases");
            main.output().rows(all, all.get("items"), List.of(new Output.Column("ADDRESS", n -> n.get("address").asText()),
                    new Output.Column("MAC", n -> n.path("mac").asText("-")), new Output.Column("STATE", n -> n.get("state").asText()),
                    new Output.Column("EXPIRES", n -> n.path("expiresAt").asText("-"))));
            return 0;
        }

        @Command(name = "delete", description = "Delete a pool and its leases (admins).")
        int delete(@Parameters(paramLabel = "NAME") String name) throws CliException {
            main.client().delete("/dhcp/pools/" + enc(name));
            out.println("pool/" + name + " deleted");
            return 0;
        }
    }
}
