package io.ironbell.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real BMC for tests: OpenIPMI's simulator ({@code ipmi_sim}, Debian's {@code openipmi}),
 * answering IPMI 2.0 over LAN (RMCP+, cipher suites 0–14) on one address, with one admin user.
 * Its chassis commands run a script ({@code chassis_control}): called as
 * {@code SCRIPT DIR get power|boot} (prints {@code power:0|1}, {@code boot:pxe|default|cdrom|bios|none})
 * and {@code SCRIPT DIR set power|reset|boot|shutdown VALUE}. {@link #stateScript} keeps the
 * state in files of {@code DIR}; a test that drives a VM gives a script of its own.
 */
public final class IpmiSim implements AutoCloseable {

    private final Process process;
    private final Path dir;
    private final String host;
    private final int port;

    private IpmiSim(Process process, Path dir, String host, int port) {
        this.process = process;
        this.dir = dir;
        this.host = host;
        this.port = port;
    }

    /**
     * Starts a simulator and waits (10 s at most) until it answers an RMCP ping.
     *
     * @param dir        its configuration, state, log and the chassis script's directory ({@code dir/chassis})
     * @param program    the chassis_control command, to which the chassis directory is appended: {@link #stateScript}'s
     *                   path, or {@link VmBmc#chassisProgram()} for a VM
     * @param vmCodecPort where QEMU's {@code ipmi-bmc-extern} connects (0: none)
     * @param prefix     a command that runs it (e.g. {@code ip netns exec NS}), or none
     */
    public static IpmiSim start(Path dir, String host, int port, String user, String password, String program, int vmCodecPort,
            List<String> prefix) throws IOException, InterruptedException {
        if (Sh.run(List.of("sh", "-c", "command -v ipmi_sim && command -v ipmitool"), Duration.ofSeconds(10)).status() != 0) {
            throw new AssertionError("ipmi_sim or ipmitool is missing: apt-get install openipmi ipmitool (.ci/prepare installs them)");
        }
        Files.createDirectories(dir.resolve("chassis"));
        Files.createDirectories(dir.resolve("state"));
        String guid = String.format("%032x", (long) port * 7919 + host.hashCode());
        Files.writeString(dir.resolve("lan.conf"), String.join("\n",
                "name \"bmc" + port + "\"",
                "set_working_mc 0x20",
                "  startlan 1",
                "    addr " + host + " " + port,
                "    priv_limit admin",
                "    allowed_auths_callback md5",
                "    allowed_auths_user md5",
                "    allowed_auths_operator md5",
                "    allowed_auths_admin md5",
                "    guid " + guid.substring(guid.length() - 32),
                "  endlan",
                "  chassis_control \"" + program + " " + dir.resolve("chassis") + "\"",
                vmCodecPort > 0 ? "  serial 15 127.0.0.1 " + vmCodecPort + " codec VM" : "",
                "  user 2 true \"" + user + "\" \"" + password + "\" admin 10 md5",
                ""));
        Files.writeString(dir.resolve("sim.emu"), "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("timeout", "3600", "ipmi_sim", "-c", dir.resolve("lan.conf").toString(), "-f",
                dir.resolve("sim.emu").toString(), "-s", dir.resolve("state").toString(), "-n"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("ipmi_sim.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        IpmiSim sim = new IpmiSim(p, dir, host, port);
        if (prefix.isEmpty()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!sim.pong()) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    sim.close();
                    throw new AssertionError("ipmi_sim did not start on " + host + ":" + port + ": " + Files.readString(dir.resolve("ipmi_sim.log")));
                }
                Thread.sleep(50);
            }
        } else {
            Thread.sleep(500);
        }
        return sim;
    }

    /** Answers an RMCP presence ping, as a BMC does. */
    public boolean pong() {
        byte[] ping = {6, 0, (byte) 0xff, 6, 0, 0, 0x11, (byte) 0xbe, (byte) 0x80, 1, 0, 0};
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            s.send(new DatagramPacket(ping, ping.length, new InetSocketAddress(host, port)));
            byte[] buf = new byte[64];
            s.receive(new DatagramPacket(buf, buf.length));
            return buf[8] == 0x40;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A chassis script that keeps power and boot device in files of its directory and logs every
     * call to {@code DIR/log}; a file {@code DIR/hang} makes each call sleep that many seconds
     * (a BMC that hangs: ipmi_sim is single-threaded, so it answers nothing meanwhile).
     */
    public static String stateScript(Path where) throws IOException {
        Path script = where.resolve("chassis-state.sh");
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "d=$1; shift",
                "echo \"$*\" >> $d/log",
                "[ -f $d/hang ] && sleep $(cat $d/hang)",
                "case \"$1 $2\" in",
                "  'get power') echo \"power:$(cat $d/power 2>/dev/null || echo 0)\";;",
                "  'get boot') echo \"boot:$(cat $d/boot 2>/dev/null || echo default)\";;",
                "  'set power') echo $3 > $d/power;;",
                "  'set boot') echo $3 > $d/boot;;",
                "  'set shutdown') echo 0 > $d/power;;",
                "esac",
                "exit 0",
                ""));
        Files.setPosixFilePermissions(script, Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE, java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE));
        return script.toString();
    }

    /** The chassis script's directory (its state files and log). */
    public Path chassis() {
        return dir.resolve("chassis");
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        ProcessTree.kill(process);
    }
}
