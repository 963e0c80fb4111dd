package io.ironbell.it;

import io.ironbell.testing.Sh;
import java.time.Duration;
import java.util.List;

/** Runs the system tools the network tests drive (ip, dhclient, perfdhcp, …) and keeps their output. */
final class Shell {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Shell() {
    }

    /** Exit status and merged output of a command. */
    record Result(int status, String output) {
    }

    /**
     * Runs {@code command} with {@link Sh#run(List, Duration)}, giving it at most 60 s: a command
     * that overruns is killed with everything it started, and gets status -1 and the output it
     * wrote until then.
     */
    static Result run(List<String> command) throws Exception {
        Sh.Result r = Sh.run(command, TIMEOUT);
        return new Result(r.status(), r.output());
    }

    /** Runs each step, failing with the step and its output on the first that does not succeed. */
    static void steps(String[][] steps) throws Exception {
        for (String[] step : steps) {
            Result r = run(List.of(step));
            if (r.status() != 0) {
                throw new AssertionError(String.join(" ", step) + (r.status() == Sh.OVERRUN ? " did not finish in 60 s" : " exited " + r.status())
                        + ": " + r.output());
            }
        }
    }

    /** Fails unless this runs as root and every tool is on the PATH: network tests never skip. */
    static void require(String test, List<String> tools) throws Exception {
        if (!run(List.of("id", "-u")).output().trim().equals("0")) {
            throw new AssertionError(test + " needs root to make network namespaces");
        }
        for (String tool : tools) {
            if (run(List.of("sh", "-c", "command -v " + tool)).status() != 0) {
                throw new AssertionError(tool + " is missing: run .ci/prepare");
            }
        }
    }
}
