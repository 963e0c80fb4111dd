package io.ironbell.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The project's test BMC ({@code vmbmc.py}, Python's standard library only, run by Debian's
 * {@code /usr/bin/python3}): a chassis kept in a directory that drives a QEMU VM when the
 * directory holds a {@code vm.json}, with two faces — the chassis_control program of
 * {@link IpmiSim}, and a Redfish service checked against Ironic's sushy. See the script's
 * docstring for the files it reads and the knobs tests turn.
 */
public final class VmBmc implements AutoCloseable {

    private static final String PYTHON = "/usr/bin/python3";

    private final Process process;
    private final Path chassis;
    private final String url;

    private VmBmc(Process process, Path chassis, String url) {
        this.process = process;
        this.chassis = chassis;
        this.url = url;
    }

    /** Writes the script into {@code dir} and returns its path. */
    public static Path script(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path script = dir.resolve("vmbmc.py");
        try (InputStream in = VmBmc.class.getResourceAsStream("vmbmc.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    /** The chassis_control command for {@link IpmiSim#start}: the chassis directory is appended by it. */
    public static String chassisProgram(Path dir) throws IOException {
        return PYTHON + " " + script(dir) + " chassis";
    }

    /** Describes the VM the chassis powers: QEMU's command line without boot order, CD drive or QMP. */
    public static void describeVm(Path chassis, List<String> argv, String firmware, List<String> pxeArgs, List<String> diskArgs)
            throws IOException {
        Files.createDirectories(chassis);
        Files.writeString(chassis.resolve("vm.json"), io.ironbell.api.json.Json.mapper().writeValueAsString(java.util.Map.of("argv", argv, "firmware", firmware,
                "pxeArgs", pxeArgs, "diskArgs", diskArgs)));
    }

    /**
     * Starts the Redfish face on {@code https://host:port} (plain HTTP without a certificate) and
     * waits (20 s at most) until it answers.
     *
     * @param chassis the chassis directory
     * @param prefix  a command that runs it (e.g. {@code ip netns exec NS}), or none
     */
    public static VmBmc redfish(Path chassis, String host, int port, String user, String password, Path cert, Path key,
            List<String> prefix) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new AssertionError(PYTHON + " is missing: apt-get install python3 (.ci/prepare installs it)");
        }
        Path script = script(chassis.getParent().resolve("vmbmc-" + port));
        Files.createDirectories(chassis);
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("timeout", "3600", PYTHON, script.toString(), "redfish", chassis.toString(), "--address", host, "--port",
                Integer.toString(port), "--user", user, "--password", password));
        if (cert != null) {
            command.addAll(List.of("--cert", cert.toString(), "--key", key.toString()));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(chassis.resolve("redfish.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String url = (cert != null ? "https://" : "http://") + host + ":" + port;
        VmBmc bmc = new VmBmc(p, chassis, url);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            List<String> probe = new ArrayList<>(prefix);
            probe.addAll(List.of("curl", "-sfk", "-o", "/dev/null", "-m", "2", url + "/redfish/v1"));
            if (Sh.run(probe, Duration.ofSeconds(5)).status() == 0) {
                return bmc;
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                bmc.close();
                throw new AssertionError("the Redfish service did not start on " + url + ": " + Files.readString(chassis.resolve("redfish.log")));
            }
            Thread.sleep(100);
        }
    }

    /**
     * Runs Ironic's client library ({@code python3-sushy}) against this service: sessions and
     * basic auth, a wrong password, reset, boot override, virtual media ({@code isoUrl}), as
     * {@code sushy_check.py} lists; the result holds one line per check.
     */
    public Sh.Result checkWithSushy(String user, String password, Path ca, String isoUrl, List<String> prefix)
            throws IOException, InterruptedException {
        Path check = chassis.getParent().resolve("sushy_check.py");
        try (InputStream in = VmBmc.class.getResourceAsStream("sushy_check.py")) {
            Files.copy(in, check, StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("timeout", "120", PYTHON, check.toString(), url, user, password, ca.toString(), isoUrl));
        ProcessBuilder pb = new ProcessBuilder(command);
        // requests lets these override the CA it is given
        pb.environment().remove("REQUESTS_CA_BUNDLE");
        pb.environment().remove("CURL_CA_BUNDLE");
        return Sh.run(pb, Duration.ofSeconds(150));
    }

    /** {@code https://host:port}, without a path. */
    public String url() {
        return url;
    }

    /** The chassis directory: its state files, its log, the VM's QEMU log. */
    public Path chassis() {
        return chassis;
    }

    /** Powers the VM off (if the chassis has one running) and stops the service. */
    @Override
    public void close() {
        powerOff(chassis);
        ProcessTree.kill(process);
    }

    /** Kills the VM of a chassis directory and its supervisor, if they run; for tests' clean-up whichever face started it. */
    public static void powerOff(Path chassis) {
        try {
            Files.createDirectories(chassis);
            Files.writeString(chassis.resolve("off-requested"), "1");
            for (String name : List.of("supervisor.pid", "qemu.pid")) {
                Path pid = chassis.resolve(name);
                if (Files.exists(pid)) {
                    long id = Long.parseLong(Files.readString(pid).strip());
                    ProcessHandle.of(id).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // nothing running
        }
    }
}
