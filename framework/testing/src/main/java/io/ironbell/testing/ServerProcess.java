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
    private final String host;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final String name;
    private final Thread pump;

    private ServerProcess(Path home, Process process, int httpPort, String host, String name) {
        this.home = home;
        this.process = process;
        this.httpPort = httpPort;
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
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(home.resolve("bin/ironbell").toString(), "server"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        pb.environment().put("IRONBELL_HTTP_PORT", Integer.toString(port));
        pb.environment().putAll(env);
        return new ServerProcess(home, pb.start(), port, host, "server");
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
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/ironbell").toString(), "worker", "--server", server, "--id", mac));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ServerProcess(home, pb.start(), -1, "", "worker");
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
            return Http.get(url("/healthz")).status() == 200 ? Boolean.TRUE : null;
        }).elapsed();
    }

    /** The URL of a path on this server. */
    public String url(String path) {
        return "http://" + host + ":" + httpPort + path;
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
