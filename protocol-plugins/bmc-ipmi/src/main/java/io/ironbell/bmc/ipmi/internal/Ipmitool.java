package io.ironbell.bmc.ipmi.internal;

import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code ipmitool} over RMCP+ ({@code -I lanplus}) for one BMC: the cipher suite always
 * given (without {@code -C} ipmitool 1.8.19 spends 10 s asking the BMC), the password passed in
 * the environment ({@code -E}, never on the command line where {@code ps} shows it), each call
 * killed when it outlives the endpoint's timeout. ipmitool retransmits within a call ({@code -N}
 * seconds apart, {@code -R} times); failures are sorted by what {@code -v} prints.
 */
final class Ipmitool {

    private final String tool;
    private final BmcEndpoint endpoint;
    private final int cipherSuite;
    private final int retries;

    Ipmitool(String tool, BmcEndpoint endpoint, int cipherSuite, int retries) {
        this.tool = tool;
        this.endpoint = endpoint;
        this.cipherSuite = cipherSuite;
        this.retries = retries;
    }

    /** What one call printed. */
    record Result(String out, String err) {
    }

    Result run(String... command) throws BmcException {
        List<String> argv = new ArrayList<>(List.of(tool, "-I", "lanplus", "-H", endpoint.host(), "-p",
                Integer.toString(endpoint.port() == 0 ? 623 : endpoint.port()), "-U", endpoint.username() == null ? "" : endpoint.username(),
                "-E", "-C", Integer.toString(cipherSuite), "-N", "1", "-R", Integer.toString(retries), "-v"));
        argv.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(argv);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> !k.equals("PATH") && !k.equals("LANG"));
        env.put("IPMI_PASSWORD", endpoint.password() == null ? "" : endpoint.password());
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("ipmitool", ".out");
            err = Files.createTempFile("ipmitool", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(devNull()));
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new BmcException(Reason.CONFIG, "cannot run " + tool + " (is the ipmitool package installed? ipmi.tool names it): "
                        + e.getMessage(), e);
            }
            Duration limit = endpoint.timeout();
            boolean ended;
            try {
                ended = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new BmcException(Reason.TIMEOUT, "interrupted while waiting for the BMC at " + endpoint.host());
            }
            if (!ended) {
                p.destroyForcibly();
                throw new BmcException(Reason.TIMEOUT, "the BMC at " + endpoint.host() + " did not finish '" + String.join(" ", command)
                        + "' within " + limit.toSeconds() + " s");
            }
            Result r = new Result(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            if (p.exitValue() != 0) {
                throw failure(r.err(), String.join(" ", command));
            }
            return r;
        } catch (IOException e) {
            throw new BmcException(Reason.CONFIG, "cannot run " + tool + ": " + e.getMessage(), e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    private BmcException failure(String err, String command) {
        String lower = err.toLowerCase(Locale.ROOT);
        String at = "the BMC at " + endpoint.host() + ":" + (endpoint.port() == 0 ? 623 : endpoint.port());
        if (lower.contains("rakp 2 hmac is invalid") || lower.contains("unauthorized name") || lower.contains("invalid user name")
                || lower.contains("rakp 4 message has invalid integrity") || lower.contains("insufficient privilege")
                || lower.contains("unauthorized role or privilege")) {
            return new BmcException(Reason.AUTH, at + " refused the user " + endpoint.username() + " or its password");
        }
        if (lower.contains("invalid authentication algorithm") || lower.contains("invalid integrity algorithm")
                || lower.contains("invalid confidentiality algorithm") || lower.contains("no matching cipher suite")
                || lower.contains("unsupported cipher suite")) {
            return new BmcException(Reason.CONFIG, at + " does not offer cipher suite " + cipherSuite + " (the machine's cipherSuite)");
        }
        if (lower.contains("get auth capabilities error") || lower.contains("no response") || lower.contains("connection refused")
                || lower.contains("unable to establish")) {
            return new BmcException(Reason.UNREACHABLE, at + " did not answer");
        }
        return new BmcException(Reason.REFUSED, at + " refused '" + command + "': " + lastLine(err));
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    private static java.io.File devNull() {
        return new java.io.File("/dev/null");
    }

    private static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a temp file left behind is harmless
            }
        }
    }
}
