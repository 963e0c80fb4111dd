package io.ironbell.it;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system tools the network tests drive (ip, dhclient, perfdhcp, …) and keeps their output. */
final class Shell {

    private Shell() {
    }

    /** Exit status and merged output of a command. */
    record Result(int status, String output) {
    }

    /** Runs {@code command}, giving it at most 60 s; a command that overruns is killed and gets status -1. */
    static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Runs each step, failing with the step and its output on the first that does not succeed. */
    static void steps(String[][] steps) throws Exception {
        for (String[] step : steps) {
            Result r = run(List.of(step));
            if (r.status() != 0) {
                throw new AssertionError(String.join(" ", step) + ": " + r.output());
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
