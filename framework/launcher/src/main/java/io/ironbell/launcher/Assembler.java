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
 * <pre>
 * ironbell assemble --features dhcp,tftp,ipxe --out DIR [--bundle JAR]... [--worker-plugin JAR]... [--name NAME]
 *                   [--banner TEXT] [--set key=value]... [--osie lean|containers|none] [--tarball FILE.tar.gz]
 *                   [--deb FILE.deb [--deb-version V]]
 * </pre>
 */
final class Assembler {

    /** Exit code for a set of bundles that does not resolve, or a feature that does not exist. */
    static final int EXIT_UNRESOLVED = 65;

    private Assembler() {
    }

    /** A feature as its file describes it. */
    record Feature(String name, String description, List<String> features, List<String> bundles, Map<String, String> settings) {
    }

    static int run(Path home, String[] args) {
        List<String> features = new ArrayList<>();
        List<Path> extra = new ArrayList<>();
        List<Path> workerPlugins = new ArrayList<>();
        String tarball = null;
        String deb = null;
        String debVersion = null;
        Map<String, String> settings = new LinkedHashMap<>();
        String out = null;
        String name = null;
        String banner = null;
        String osie = "lean";
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
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
            if (!List.of("lean", "containers", "none").contains(osie)) {
                throw new IllegalArgumentException("--osie must be lean, containers or none, was '" + osie + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("ironbell assemble: " + e.getMessage());
            System.err.println("usage: ironbell assemble --features F1,F2 --out DIR [--bundle JAR]... [--worker-plugin JAR]... [--name NAME]"
                    + " [--banner TEXT] [--set key=value]... [--osie lean|containers|none] [--tarball FILE.tar.gz] [--deb FILE.deb [--deb-version V]]");
            return 64;
        }
        try {
            long start = System.nanoTime();
            Path target = Path.of(out).toAbsolutePath().normalize();
            if (Files.exists(target)) {
                System.err.println("ironbell assemble: " + target + " exists; give a new directory");
                return Main.EXIT_CONFIG;
            }
            Map<String, Feature> all = features(home.resolve("features"));
            Map<String, Feature> chosen = new LinkedHashMap<>();
            for (String f : features) {
                include(f, all, chosen, new LinkedHashSet<>());
            }
            Map<String, Path> available = bundles(home.resolve("bundle"));
            List<Path> jars = new ArrayList<>();
            Map<String, String> defaults = new LinkedHashMap<>();
            for (Feature f : chosen.values()) {
                for (String b : f.bundles()) {
                    Path jar = available.get(b);
                    if (jar == null) {
                        throw new EditionResolver.Unresolved("feature " + f.name() + " names bundle " + b + ", which " + home.resolve("bundle")
                                + " does not hold", List.of(f.name() + " requires bundle " + b));
                    }
                    if (!jars.contains(jar)) {
                        jars.add(jar);
                    }
                }
                defaults.putAll(f.settings());
            }
            for (Path jar : extra) {
                if (!Files.isRegularFile(jar)) {
                    throw new IOException("--bundle " + jar + " is not a file");
                }
                jars.add(jar.toAbsolutePath());
            }
            defaults.putAll(settings);
            Map<Path, String> resolved = resolve(jars);
            Map<Path, String> plugins = Map.of();
            if (!workerPlugins.isEmpty()) {
                // the worker's own container: its bundles and the vendor's plugins must resolve together
                List<Path> worker = new ArrayList<>(bundles(home.resolve("worker/bundle")).values());
                for (Path jar : workerPlugins) {
                    if (!Files.isRegularFile(jar)) {
                        throw new IOException("--worker-plugin " + jar + " is not a file");
                    }
                    worker.add(jar.toAbsolutePath());
                }
                Map<Path, String> workerResolved = resolve(worker);
                plugins = new LinkedHashMap<>();
                for (Path jar : workerPlugins) {
                    plugins.put(jar.toAbsolutePath(), workerResolved.get(jar.toAbsolutePath()));
                }
            }
            write(home, target, chosen, resolved, plugins, defaults, name, banner, osie);
            if (tarball != null) {
                Tarball.write(target, Path.of(tarball));
            }
            if (deb != null) {
                String pkg = name == null ? "ironbell" : name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
                String version = debVersion != null ? debVersion : Container.version().replace('-', '~');
                DebianPackage.write(target, Path.of(deb).toAbsolutePath(), pkg, version, (name == null ? "Ironbell" : name)
                        + (banner == null ? "" : ": " + banner));
            }
            System.out.printf("ironbell assemble: %s: %d features (%s), %d bundles resolved, written to %s in %.1f s%n",
                    name == null ? "Ironbell" : name, chosen.size(), String.join(", ", chosen.keySet()), resolved.size(), target,
                    (System.nanoTime() - start) / 1e9);
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
                        list(props.getProperty("bundles")), settings));
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

    private static void write(Path home, Path target, Map<String, Feature> chosen, Map<Path, String> resolved, Map<Path, String> plugins,
                              Map<String, String> settings, String name, String banner, String osie) throws IOException {
        Path staging = target.resolveSibling(target.getFileName() + ".partial");
        EditionResolver.deleteTree(staging);
        Files.createDirectories(staging);
        // bundle/console: Gogo, which the launcher installs only for `ironbell server --console`
        for (String dir : List.of("bin", "lib", "worker/bundle", "sdk", "features", "bundle/console")) {
            copyTree(home.resolve(dir), staging.resolve(dir));
        }
        Files.createDirectories(staging.resolve("deploy"));
        Files.createDirectories(staging.resolve("worker/deploy"));
        Files.createDirectories(staging.resolve("worker/data"));
        Files.createDirectories(staging.resolve("data"));
        Files.createDirectories(staging.resolve("bundle"));
        Files.setPosixFilePermissions(staging.resolve("bin/ironbell"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        if (!osie.equals("none")) {
            Path from = home.resolve("data/artifacts/osie");
            Path to = Files.createDirectories(staging.resolve("data/artifacts/osie"));
            for (String f : List.of("vmlinuz", osie.equals("lean") ? "initramfs" : "initramfs-containers")) {
                if (Files.exists(from.resolve(f))) {
                    Files.copy(from.resolve(f), to.resolve(f));
                    if (f.startsWith("initramfs") && !plugins.isEmpty()) {
                        Tarball.appendPluginsToInitramfs(to.resolve(f), plugins.keySet());
                    }
                }
            }
            if (osie.equals("containers")) {
                settings.putIfAbsent("ipxe.initrd", "osie/initramfs-containers");
            }
        }
        StringBuilder manifest = new StringBuilder("# what went into this edition (ironbell assemble)\n");
        manifest.append("edition.name = ").append(name == null ? "Ironbell" : name).append('\n');
        manifest.append("edition.features = ").append(String.join(", ", chosen.keySet())).append('\n');
        manifest.append("edition.osie = ").append(osie).append('\n');
        int i = 0;
        for (Map.Entry<Path, String> e : resolved.entrySet()) {
            Path jar = e.getKey();
            Files.copy(jar, staging.resolve("bundle").resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            manifest.append(String.format("bundle.%d = %s %s sha256:%s%n", ++i, jar.getFileName(), e.getValue(), sha256(jar)));
        }
        i = 0;
        for (Map.Entry<Path, String> e : plugins.entrySet()) {
            Files.copy(e.getKey(), staging.resolve("worker/deploy").resolve(e.getKey().getFileName()));
            manifest.append(String.format("worker.plugin.%d = %s %s sha256:%s%n", ++i, e.getKey().getFileName(), e.getValue(), sha256(e.getKey())));
        }
        Files.writeString(staging.resolve("edition.properties"), manifest.toString());
        // the defaults as shipped, each key the edition sets given its value in place (a repeated key would make a list)
        String conf = Files.readString(home.resolve("conf/ironbell.properties"));
        Map<String, String> all = new LinkedHashMap<>();
        if (name != null) {
            all.put("edition.name", name);
        }
        if (banner != null) {
            all.put("edition.banner", banner);
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
        StringBuilder edition = new StringBuilder(conf);
        if (added.length() > 0) {
            edition.append("\n# --- set by ironbell assemble ---\n").append(added);
        }
        Files.createDirectories(staging.resolve("conf"));
        Files.writeString(staging.resolve("conf/ironbell.properties"), edition.toString());
        Files.move(staging, target);
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
