package io.ironbell.action.support;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system tools that disk actions need (mount, kexec, blockdev), each within a timeout. */
public final class Tools {

    private Tools() {
    }

    /**
     * Runs a command to its end and returns its output (stdout and stderr together).
     *
     * @param command the command and its arguments
     * @param what    what it does, for messages: "mounting /dev/sda1 as ext4"
     * @param timeout how long it may take
     * @param failure the reason a non-zero exit is reported with
     * @throws ActionException {@code failure} with the tool's output when it exits non-zero or
     *                         does not finish in time; UNAVAILABLE when it cannot be started
     */
    public static String run(List<String> command, String what, Duration timeout, Reason failure)
            throws ActionException, InterruptedException {
        try {
            Path out = Files.createTempFile("ironbell-tool", ".out");
            try {
                // output to a file, so that the timeout holds even when a child keeps the pipe open
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                try {
                    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new ActionException(failure, what + " did not finish in " + timeout.toSeconds() + " s");
                    }
                } finally {
                    if (p.isAlive()) {
                        p.destroyForcibly();
                    }
                }
                String output = Files.readString(out).trim();
                if (p.exitValue() != 0) {
                    throw new ActionException(failure, what + " failed (exit " + p.exitValue() + "): " + output);
                }
                return output;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new ActionException(Reason.UNAVAILABLE, what + ": cannot run " + command.get(0) + ": " + e.getMessage());
        }
    }
}
