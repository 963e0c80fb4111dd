package io.ironbell.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.client.oci.OciReference;
import io.ironbell.client.oci.OciRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code ironbell plugin push|list|delete}: the server's repository of action plugins; {@code publish}: a plugin as an OCI artifact. */
final class PluginCommands {

    private PluginCommands() {
    }

    @Command(name = "plugin", description = "Action plugins the server delivers to workers at run time (push and delete: admins).",
            subcommands = {CommandLine.HelpCommand.class})
    static final class PluginCmd {
        @ParentCommand
        Main main;

        @Command(name = "push", description = "Push a plugin bundle (a jar); workflows created from now on run its images on it.")
        int push(@Parameters(paramLabel = "FILE.jar") String file,
                 @Option(names = "--signature", description = "a detached signature of the jar by a key the server trusts "
                         + "(storage.plugins.trustedKeys), e.g. from openssl dgst -sha256 -sign") String signature) throws CliException {
            byte[] jar = read(file);
            Map<String, String> headers = signature == null ? Map.of()
                    : Map.of("Ironbell-Plugin-Signature", Base64.getEncoder().encodeToString(read(signature)));
            JsonNode p = main.client().send("POST", "/plugins", jar, "application/java-archive", headers, Duration.ofMinutes(2));
            main.output().record(p, () -> Main.out.println("pushed " + p.get("symbolicName").asText() + " " + p.get("version").asText() + " "
                    + p.get("digest").asText() + " (types " + String.join(", ", Output.strings(p.get("types"))) + ")"
                    + (p.hasNonNull("signedBy") ? ", signed by " + p.get("signedBy").asText() : "")));
            return 0;
        }

        @Command(name = "publish", description = "Publish a plugin bundle as an OCI artifact to a registry; templates name it as an "
                + "action's image, and workers pull it from there (the server is not involved).")
        int publish(@Parameters(paramLabel = "FILE.jar") String file,
                    @Parameters(paramLabel = "REFERENCE", description = "registry/repository:tag, e.g. registry.example/acme/raid-config:1.4")
                    String reference,
                    @Option(names = "--signature", description = "a detached signature of the jar, published beside it") String signature,
                    @Option(names = "--username", description = "the registry's user (else REGISTRY_USERNAME)") String username,
                    @Option(names = "--password-file", description = "a file holding the registry's password (else REGISTRY_PASSWORD)")
                    String passwordFile,
                    @Option(names = "--plain-http", description = "the registry speaks plain HTTP (one on the provisioning network)")
                    boolean plainHttp) throws CliException {
            byte[] jar = read(file);
            byte[] sig = signature == null ? null : read(signature);
            String password = passwordFile != null ? new String(read(passwordFile), java.nio.charset.StandardCharsets.UTF_8).trim()
                    : System.getenv("REGISTRY_PASSWORD");
            String user = username != null ? username : System.getenv("REGISTRY_USERNAME");
            try {
                OciReference ref = OciReference.parse((plainHttp ? "http://" : "") + reference);
                OciRegistry registry = new OciRegistry(ref, java.util.Optional.ofNullable(user), java.util.Optional.ofNullable(password), false);
                String manifestDigest = PluginPublisher.publish(registry, Path.of(file).getFileName().toString(), jar, sig);
                Main.out.println("published " + Path.of(file).getFileName() + " (" + io.ironbell.api.plugin.PluginArtifact.digest(jar) + ") as "
                        + ref.host() + "/" + ref.repository() + ":" + ref.reference() + "@" + manifestDigest + (sig == null ? "" : ", signed"));
                return 0;
            } catch (io.ironbell.client.oci.OciException e) {
                throw new CliException(CliException.ERROR, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(CliException.ERROR, "interrupted");
            }
        }

        @Command(name = "new", description = "Make a plugin project from the distribution's SDK (sdk/): its pom (the SDK's repository and "
                + "BOM, bnd), an action class and its unit test; `mvn package` in it builds the bundle to push.")
        int newProject(@Parameters(paramLabel = "DIR", description = "the project's directory (must not exist)") String dir,
                       @Option(names = "--group", defaultValue = "com.example", description = "Maven groupId and Java package prefix "
                               + "(default ${DEFAULT-VALUE})") String group,
                       @Option(names = "--type", required = true, description = "the action type, e.g. raid-config") String type,
                       @Option(names = "--image", description = "the image prefix templates name it by (default: ghcr.io/GROUP/TYPE)")
                       String image,
                       @Option(names = "--sdk", description = "the SDK folder (default: the distribution's sdk/)") String sdk) throws CliException {
            Path sdkDir = sdk != null ? Path.of(sdk) : System.getProperty("ironbell.home") == null ? null
                    : Path.of(System.getProperty("ironbell.home"), "sdk");
            if (sdkDir == null || !Files.isDirectory(sdkDir.resolve("template")) || !Files.isDirectory(sdkDir.resolve("repository"))) {
                throw new CliException(CliException.USAGE, "no SDK at " + sdkDir + " (template/ and repository/): give --sdk DIR, the sdk/ of an "
                        + "Ironbell distribution");
            }
            try {
                Path jar = ProjectTemplate.create(sdkDir.toAbsolutePath().normalize(), Path.of(dir), group, type, image);
                Main.out.println("made the plugin project " + dir + ": (cd " + dir + " && mvn package), then ironbell plugin push " + jar);
                return 0;
            } catch (IllegalArgumentException e) {
                throw new CliException(CliException.USAGE, e.getMessage());
            } catch (IOException e) {
                throw new CliException(CliException.ERROR, "cannot make " + dir + ": " + e.getMessage());
            }
        }

        private static byte[] read(String file) throws CliException {
            try {
                return Files.readAllBytes(Path.of(file));
            } catch (IOException e) {
                throw new CliException(CliException.ERROR, "cannot read " + file + ": " + e.getMessage());
            }
        }

        @Command(name = "list", description = "List the plugins: name, version, digest, the types and images they claim.")
        int list() throws CliException {
            JsonNode page = main.client().get("/plugins");
            main.output().rows(page, page.get("items"), List.of(
                    new Output.Column("NAME", n -> Output.text(n, "symbolicName")),
                    new Output.Column("VERSION", n -> Output.text(n, "version")),
                    new Output.Column("TYPES", n -> String.join(",", Output.strings(n.get("types")))),
                    new Output.Column("IMAGES", n -> String.join(",", Output.strings(n.get("images")))),
                    new Output.Column("DIGEST", n -> Output.text(n, "digest")),
                    new Output.Column("PUSHED", n -> Output.text(n, "pushedAt")),
                    new Output.Column("MACHINES", n -> String.join(",", Output.strings(n.get("machines"))))));
            return 0;
        }

        @Command(name = "delete", description = "Delete a plugin version; workflows that pinned it fail when their action runs.")
        int delete(@Parameters(paramLabel = "NAME") String name, @Parameters(paramLabel = "VERSION") String version) throws CliException {
            JsonNode r = main.client().delete("/plugins/" + Main.enc(name) + "/" + Main.enc(version));
            main.output().record(r, () -> Main.out.println("deleted " + r.get("symbolicName").asText() + " " + r.get("version").asText()));
            return 0;
        }
    }
}
