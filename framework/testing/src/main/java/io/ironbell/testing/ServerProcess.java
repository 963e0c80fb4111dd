package io.ironbell.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code bin/ironbell server} process, run from a private copy of the unpacked
 * distribution so that tests never touch the build's tree or each other; or, from the same
 * copy, a {@code bin/ironbell worker} ({@link #startWorker}).
 */
public final class ServerProcess implements AutoCloseable {

    private final Path home;
    private final Process process;
    private final int httpPort;
    private final int tlsPort;
    private final String host;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final String name;
    private final Thread pump;

    private ServerProcess(Path home, Process process, int httpPort, int tlsPort, String host, String name) {
        this.home = home;
        this.process = process;
        this.httpPort = httpPort;
        this.tlsPort = tlsPort;
        this.host = host;
        this.name = name;
        pump = new Thread(this::pump, name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Copies the distribution into {@code home} and starts it on a free HTTP port.
     *
     * @param distribution the unpacked distribution (distribution/target/ironbell)
     * @param home         an empty directory for this server's copy
     * @param env          extra environment variables (IRONBELL_*)
     * @param args         extra arguments after {@code server}
     */
    public static ServerProcess start(Path distribution, Path home, Map<String, String> env, String... args) throws IOException {
        copyTree(distribution, home);
        return startIn(home, env, args);
    }

    /** Starts a server in a home that an earlier {@link #start} made: its conf/, deploy/ and data/ as they were left. */
    public static ServerProcess startIn(Path home, Map<String, String> env, String... args) throws IOException {
        return startWrappedIn(home, env, List.of(), "127.0.0.1", args);
    }

    /**
     * Copies the distribution into {@code home} and starts it under {@code wrapper} (e.g.
     * {@code ip netns exec NS}), reached at {@code host}.
     */
    public static ServerProcess startWrapped(Path distribution, Path home, Map<String, String> env, List<String> wrapper, String host)
            throws IOException {
        copyTree(distribution, home);
        return startWrappedIn(home, env, wrapper, host);
    }

    /** Copies the distribution into {@code home}, for a test that changes it before {@link #startWrappedIn}. */
    public static Path install(Path distribution, Path home) throws IOException {
        copyTree(distribution, home);
        return home;
    }

    /** Starts a server in a home that {@link #install} made, under {@code wrapper}, reached at {@code host}. */
    public static ServerProcess startWrappedIn(Path home, Map<String, String> env, List<String> wrapper, String host, String... args)
            throws IOException {
        String given = env.get("IRONBELL_HTTP_PORT");
        // A test may pass a malformed port on purpose; the server is then expected not to start.
        int port = given == null ? FreePort.find() : given.matches("\\d+") ? Integer.parseInt(given) : -1;
        String givenTls = env.get("IRONBELL_HTTP_TLS_PORT");
        int tlsPort = givenTls == null ? FreePort.find() : givenTls.matches("\\d+") ? Integer.parseInt(givenTls) : -1;
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(home.resolve("bin/ironbell").toString(), "server"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        pb.environment().put("IRONBELL_HTTP_PORT", Integer.toString(port));
        pb.environment().put("IRONBELL_HTTP_TLS_PORT", Integer.toString(tlsPort));
        pb.environment().putAll(env);
        // with http.tls off there is no HTTPS listener: secureUrl gives the plain-HTTP URL instead
        boolean tls = !"false".equalsIgnoreCase(env.getOrDefault("IRONBELL_HTTP_TLS", "true"));
        return new ServerProcess(home, pb.start(), port, tls ? tlsPort : -1, host, "server");
    }

    /**
     * Starts {@code bin/ironbell worker} in a home that {@link #start} or {@link #install} made
     * (its worker/ directory: bundle/, deploy/, data/).
     *
     * @param server the server's base URL
     * @param mac    the worker id
     * @param args   extra arguments, e.g. {@code -Dworker.pollMillis=200}
     */
    public static ServerProcess startWorker(Path home, String server, String mac, Map<String, String> env, String... args) throws IOException {
        return startWorkerWrapped(home, List.of(), server, mac, env, args);
    }

    /** Starts {@code bin/ironbell worker} under {@code wrapper} (e.g. {@code ip netns exec NS}), as {@link #startWorker} does. */
    public static ServerProcess startWorkerWrapped(Path home, List<String> wrapper, String server, String mac, Map<String, String> env,
                                                   String... args) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(home.resolve("bin/ironbell").toString(), "worker", "--server", server, "--id", mac));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ServerProcess(home, pb.start(), -1, -1, "", "worker");
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                output.add(line);
                System.out.println("[" + name + "] " + line);
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** Waits until {@code /healthz} answers 200 and returns how long that took. */
    public Duration awaitHealthy(Duration timeout) {
        return Await.until("GET /healthz on port " + httpPort, timeout, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("server exited with " + process.exitValue() + ":\n" + String.join("\n", output()));
            }
            if (Http.get(url("/healthz")).status() != 200) {
                return null;
            }
            if (Files.isRegularFile(caFile())) {
                Http.trust(caFile()); // the server's own CA: the tests' HTTPS requests verify it as a CLI would
            }
            return Boolean.TRUE;
        }).elapsed();
    }

    /**
     * The plain-HTTP URL of a path on this server: what firmware fetches (iPXE scripts, artifacts),
     * metadata and health checks.
     */
    public String url(String path) {
        return "http://" + host + ":" + httpPort + path;
    }

    /**
     * The HTTPS URL of a path on this server: the API and everything else while http.tls is on (the
     * default); the plain-HTTP URL for a server started with {@code IRONBELL_HTTP_TLS=false}.
     */
    public String secureUrl(String path) {
        return tlsPort < 0 ? url(path) : "https://" + host + ":" + tlsPort + path;
    }

    /** The CA this server made at its first start ({@code data/tls/ca.pem}): what clients trust. */
    public Path caFile() {
        return home.resolve("data/tls/ca.pem");
    }

    /**
     * Does what a booting machine does to get its session: fetches its iPXE script over plain HTTP,
     * takes the boot token from the kernel command line, and exchanges it over HTTPS. The caller
     * must call from an address of the hardware (127.0.0.1 for a record that names it) and the
     * machine must have unfinished work (only then does its script boot the in-memory OS).
     *
     * @return the session token ({@code ibm_...})
     */
    public String machineSession(String mac) {
        Http.Response script = Http.get(url("/ipxe/" + mac + "/auto.ipxe"));
        Matcher m = Pattern.compile("ironbell\\.boot_token=(\\S+)").matcher(script.body());
        if (script.status() != 200 || !m.find()) {
            throw new AssertionError("no boot token in the iPXE script of " + mac + ": " + script.status() + " " + script.body());
        }
        Http.Response session = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(secureUrl("/api/v1/machines/session")))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"bootToken\":\"" + m.group(1) + "\"}")).build());
        Matcher t = Pattern.compile("\"token\":\"(ibm_[^\"]+)\"").matcher(session.body());
        if (session.status() != 201 || !t.find()) {
            throw new AssertionError("the boot token of " + mac + " was not exchanged: " + session.status() + " " + session.body());
        }
        return t.group(1);
    }

    /** What machines pin: {@code sha256:} and the hex SHA-256 of this server's CA certificate. */
    public String caFingerprint() {
        try (var in = Files.newInputStream(caFile())) {
            byte[] der = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded();
            return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(der));
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + caFile() + ": " + e.getMessage(), e);
        }
    }

    /** The HTTPS port. */
    public int tlsPort() {
        return tlsPort;
    }

    /** A counter or gauge from {@code /metrics} (one without labels), or -1 when the server has none by that name. */
    public long metric(String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(Http.get(url("/metrics")).body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Runs the CLI of this server's home ({@code bin/ironbell ARGS}) as an operator on the server's
     * machine would, finding the server without flags (its port, its {@code data/api-token}), with
     * {@code env} added (e.g. {@code IRONBELL_SERVER}). Stdout and stderr are kept apart.
     *
     * @throws AssertionError when it runs for two minutes (it is then killed)
     */
    public Sh.Result cli(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ironbell").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
        pb.environment().remove("IRONBELL_SERVER");
        pb.environment().remove("IRONBELL_TOKEN");
        pb.environment().put("IRONBELL_HTTP_PORT", Integer.toString(httpPort));
        pb.environment().put("IRONBELL_HTTP_TLS_PORT", Integer.toString(tlsPort));
        pb.environment().putAll(env);
        Sh.Result r = Sh.run(pb, Duration.ofMinutes(2));
        if (r.overran()) {
            throw new AssertionError("ironbell " + String.join(" ", args) + " did not finish in 2 minutes: " + r.output() + r.errors());
        }
        return r;
    }

    /** The HTTP port. */
    public int httpPort() {
        return httpPort;
    }

    /** This server's home: bin/, conf/, deploy/, data/. */
    public Path home() {
        return home;
    }

    /** The deploy directory that FileInstall watches. */
    public Path deploy() {
        return home.resolve("deploy");
    }

    /** Everything the server printed so far. */
    public List<String> output() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** The OS process. */
    public Process process() {
        return process;
    }

    /**
     * Sends SIGTERM and waits for the exit.
     *
     * @return how long the exit took
     * @throws AssertionError when the process outlives {@code timeout} (it is then killed)
     */
    public Duration terminate(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        // Through the handle: Process.destroy() would also close our end of the output pipe,
        // and the server's last lines would be lost.
        process.toHandle().destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit within " + timeout.toMillis() + " ms of SIGTERM");
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        pump.join(2_000);
        return took;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS) && !process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " did not exit within 10 s of SIGKILL");
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(dir);
                if (rel.toString().equals("data/felix-cache")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(rel.toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                // copied, never linked: tests write into their copies (artifacts served with Range)
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
