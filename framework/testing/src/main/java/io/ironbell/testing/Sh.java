package io.ironbell.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Runs a bash script for a test, which fails when the script fails or hangs. */
public final class Sh {

    private Sh() {
    }

    /**
     * Runs {@code bash -c script} and returns its output (stdout and stderr together).
     *
     * @throws AssertionError when it exits non-zero (with its output) or runs for two minutes
     */
    public static String sh(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in 120 s: " + script);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("exit " + p.exitValue() + ": " + script + "\n" + out);
        }
        return out;
    }
}
