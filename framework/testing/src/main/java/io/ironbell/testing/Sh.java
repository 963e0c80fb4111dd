package io.ironbell.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands for tests, each within a timeout: a test never waits longer than that
 * for a command, also not for one whose children keep its output open.
 */
public final class Sh {

    /** The {@link Result#status} of a command that overran its timeout and was killed. */
    public static final int OVERRUN = -1;

    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);

    private Sh() {
    }

    /**
     * How a command ended.
     *
     * @param status its exit status, or {@link #OVERRUN} when it overran its timeout and was killed
     * @param output what it wrote to stdout, with stderr when they were merged; when it overran,
     *               what it wrote until it was killed
     * @param errors what it wrote to stderr when that was kept apart, else ""
     */
    public record Result(int status, String output, String errors) {

        /** Whether it overran its timeout and was killed. */
        public boolean overran() {
            return status == OVERRUN;
        }
    }

    /**
     * Runs {@code bash -c script} ({@link #run}, two minutes at most) and returns its output
     * (stdout and stderr together).
     *
     * @throws AssertionError when it exits non-zero, or when it runs for two minutes: it is then
     *                        killed with everything it started, and the error says so, with its
     *                        output so far
     */
    public static String sh(String script) throws IOException, InterruptedException {
        Result r = run(List.of("bash", "-c", script), SCRIPT_TIMEOUT);
        if (r.overran()) {
            throw new AssertionError("did not finish in " + SCRIPT_TIMEOUT.toSeconds() + " s (killed): " + script + "\n" + r.output());
        }
        if (r.status() != 0) {
            throw new AssertionError("exit " + r.status() + ": " + script + "\n" + r.output());
        }
        return r.output();
    }

    /**
     * Runs a command with stderr merged into stdout, within {@code timeout}, as {@link
     * #run(ProcessBuilder, Duration)} does.
     */
    public static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        return run(new ProcessBuilder(command).redirectErrorStream(true), timeout);
    }

    /**
     * Runs the command that {@code builder} describes (its directory and environment; stderr
     * merged into stdout when {@link ProcessBuilder#redirectErrorStream()} is set, else kept
     * apart in {@link Result#errors}) to its end, but for at most {@code timeout}. Its output goes
     * to temporary files, never to a pipe, so that a child or grandchild that keeps it open (a
     * daemon, a job in the background) cannot hold the caller past the timeout. Its stdin is
     * empty unless the builder redirects it. The builder's output redirections are replaced.
     *
     * <p>On overrun the command is killed (SIGKILL) with all its descendants, and the result has
     * status {@link #OVERRUN} and the output written until then. Either way, once it ends,
     * whatever it left running in the background that still holds its output is killed too (Linux
     * only); a daemon that detached into a session of its own (setsid) is left running.
     *
     * @throws IOException when the command cannot be started
     */
    public static Result run(ProcessBuilder builder, Duration timeout) throws IOException, InterruptedException {
        List<Path> files = new ArrayList<>();
        try {
            Path out = temp(files, ".out");
            builder.redirectOutput(out.toFile());
            Path err = null;
            if (!builder.redirectErrorStream()) {
                err = temp(files, ".err");
                builder.redirectError(err.toFile());
            }
            Process p = builder.start();
            boolean ended = false;
            try {
                if (builder.redirectInput() == ProcessBuilder.Redirect.PIPE) {
                    p.getOutputStream().close();
                }
                ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                if (!ended) {
                    ProcessTree.kill(p);
                }
                ProcessTree.killHolders(files);
            }
            return new Result(ended ? p.exitValue() : OVERRUN, read(out), err == null ? "" : read(err));
        } finally {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    private static Path temp(List<Path> files, String suffix) throws IOException {
        Path f = Files.createTempFile("ironbell-test-command", suffix);
        files.add(f);
        return f;
    }

    private static String read(Path file) throws IOException {
        // bytes that are not UTF-8 are replaced, never an error
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
