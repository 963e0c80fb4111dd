package io.ironbell.action.kexec;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.TestActionContext;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kexec against real parts: an ext4 file system on a loop device holding Debian's kernel, an
 * initrd and a Debian-shaped grub.cfg. The load goes to the real kexec-tools: on a kernel that can
 * kexec it loads (and /sys/kernel/kexec_loaded says so, then it is unloaded); on one that cannot
 * (this project's machines run in Firecracker, whose kernel has no kexec) the action fails
 * UNAVAILABLE naming why. The jump itself happens in the end-to-end VM test; here a kexec
 * stand-in records that success was reported before {@code kexec -e}. Needs root, kexec-tools,
 * e2fsprogs and linux-image-amd64 (.ci/prepare installs them); fails, never skips, without them.
 */
class KexecTest {

    private static Path dir;
    private static String loop;
    private static Path kernel;

    @BeforeAll
    static void makeDisk() throws Exception {
        assertEquals("0", sh("id -u").trim(), "KexecTest needs root for loop devices");
        assertTrue(sh("command -v kexec || echo none").startsWith("/"), "kexec is missing: apt-get install kexec-tools (.ci/prepare)");
        List<Path> kernels = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            s.forEach(kernels::add);
        }
        assertTrue(!kernels.isEmpty(), "no kernel under /boot: apt-get install linux-image-amd64");
        kernels.sort(null);
        kernel = kernels.get(kernels.size() - 1);
        String version = kernel.getFileName().toString().substring("vmlinuz-".length());
        dir = Files.createTempDirectory("kexec-test");
        Path fs = dir.resolve("boot.img");
        Files.writeString(dir.resolve("grub.cfg"), GrubConfigTest.DEBIAN.replace("6.1.0-56-amd64", version));
        sh("truncate -s 48M " + fs + " && mkfs.ext4 -q -F " + fs + " && mkdir -p " + dir.resolve("m") + " && mount -o loop " + fs + " " + dir.resolve("m")
                + " && mkdir -p " + dir.resolve("m/boot/grub") + " && cp " + kernel + " " + dir.resolve("m/boot/")
                + " && echo initrd > " + dir.resolve("m/boot/initrd.img-" + version)
                + " && cp " + dir.resolve("grub.cfg") + " " + dir.resolve("m/boot/grub/grub.cfg") + " && umount " + dir.resolve("m"));
        loop = sh("losetup --show -f " + fs).trim();
    }

    @AfterAll
    static void dropDisk() throws Exception {
        if (loop != null) {
            sh("losetup -d " + loop);
        }
    }

    private static Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>(Map.of("BLOCK_DEVICE", loop, "FS_TYPE", "ext4"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    @Test
    void loadOnlyLoadsTheDefaultGrubEntryOrSaysWhyThisKernelCannot() throws Exception {
        TestActionContext ctx = new TestActionContext("quay.io/tinkerbell-actions/kexec:v1.0.0", env("KEXEC_MODE", "load-only"));
        boolean kernelCanKexec = Files.exists(Path.of("/sys/kernel/kexec_loaded"));
        if (kernelCanKexec) {
            assertEquals("0", Files.readString(Path.of("/sys/kernel/kexec_loaded")).trim());
            ActionResult r = new Kexec().execute(ctx);
            try {
                assertEquals("1", Files.readString(Path.of("/sys/kernel/kexec_loaded")).trim(), "the kernel is loaded");
                assertTrue(r.message().contains("'Debian GNU/Linux' in boot/grub/grub.cfg") && r.message().contains("root=UUID=1234-abcd ro quiet"),
                        r.message());
            } finally {
                sh("kexec -u");
            }
        } else {
            ActionException e = assertThrows(ActionException.class, () -> new Kexec().execute(ctx));
            assertEquals(Reason.UNAVAILABLE, e.reason());
            assertTrue(e.getMessage().contains("Function not implemented") && e.getMessage().contains("this kernel cannot kexec"), e.getMessage());
            System.out.println("KexecTest: this kernel has no kexec; the load was refused as expected: " + e.getMessage());
        }
        assertTrue(ctx.lines.stream().anyMatch(l -> l.startsWith("loading /boot/vmlinuz-") && l.contains("with command line 'root=UUID=1234-abcd ro quiet'")),
                ctx.lines.toString());
        assertTrue(ctx.jumps.isEmpty(), "load-only never reports a jump");
        assertTrue(!sh("mount").contains(loop), "the partition was unmounted");
    }

    @Test
    void theJumpComesOnlyAfterTheServerWasTold() throws Exception {
        Path record = dir.resolve("calls");
        Path fake = dir.resolve("fake-kexec");
        // records its arguments; "-e" returns, which a real jump never does
        Files.writeString(fake, "#!/bin/sh\necho \"$*\" >> " + record + "\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        String version = kernel.getFileName().toString().substring("vmlinuz-".length());
        Map<String, String> env = env("KERNEL_PATH", "/boot/vmlinuz-" + version, "INITRD_PATH", "(hd0,msdos1)/boot/initrd.img-" + version,
                "CMD_LINE", "console=ttyS0 marker=1");

        TestActionContext told = new TestActionContext("quay.io/tinkerbell-actions/kexec:v1.0.0", env);
        ActionException returned = assertThrows(ActionException.class, () -> new Kexec(fake.toString()).execute(told));
        assertEquals(Reason.INTERNAL, returned.reason(), "a kexec -e that returns is an error");
        assertEquals(List.of("kexec into /boot/vmlinuz-" + version), told.jumps, "success was reported before the jump");
        List<String> calls = Files.readAllLines(record);
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(calls.get(0).matches("--kexec-syscall-auto -l \\S+/kernel --initrd=\\S+/initrd --command-line=console=ttyS0 marker=1"), calls.get(0));
        assertEquals("-e", calls.get(1));

        Files.delete(record);
        TestActionContext untold = new TestActionContext("quay.io/tinkerbell-actions/kexec:v1.0.0", env);
        untold.jumpFailure = new ActionException(Reason.UNAVAILABLE, "the server could not be told");
        ActionException refused = assertThrows(ActionException.class, () -> new Kexec(fake.toString()).execute(untold));
        assertEquals("the server could not be told", refused.getMessage());
        assertEquals(List.of("-u"), Files.readAllLines(record).subList(1, 2), "unloaded, never jumped: " + Files.readAllLines(record));
        assertEquals(2, Files.readAllLines(record).size());
    }

    @Test
    void badInputFailsWithItsReason() throws Exception {
        Map<String, ActionException> failures = new HashMap<>();
        failures.put("no device", assertThrows(ActionException.class, () -> new Kexec().execute(
                new TestActionContext("kexec", Map.of("FS_TYPE", "ext4")))));
        failures.put("missing kernel", assertThrows(ActionException.class, () -> new Kexec().execute(
                new TestActionContext("kexec", env("KERNEL_PATH", "/boot/vmlinuz-nope", "KEXEC_MODE", "load-only")))));
        failures.put("escape", assertThrows(ActionException.class, () -> new Kexec().execute(
                new TestActionContext("kexec", env("KERNEL_PATH", "/../../etc/passwd", "KEXEC_MODE", "load-only")))));
        failures.put("no grub.cfg", assertThrows(ActionException.class, () -> new Kexec().execute(
                new TestActionContext("kexec", env("GRUBCFG_PATH", "efi/grub.cfg", "KEXEC_MODE", "load-only")))));
        failures.put("bad mode", assertThrows(ActionException.class, () -> new Kexec().execute(
                new TestActionContext("kexec", env("KEXEC_MODE", "maybe")))));
        assertEquals(Reason.INVALID_INPUT, failures.get("no device").reason());
        assertTrue(failures.get("no device").getMessage().contains("BLOCK_DEVICE"));
        assertEquals(Reason.TARGET_FAILED, failures.get("missing kernel").reason());
        assertTrue(failures.get("missing kernel").getMessage().contains("/boot/vmlinuz-nope is not a file on the partition"),
                failures.get("missing kernel").getMessage());
        assertEquals(Reason.INVALID_INPUT, failures.get("escape").reason());
        assertTrue(failures.get("escape").getMessage().contains("leads out of the file system"), failures.get("escape").getMessage());
        assertTrue(failures.get("no grub.cfg").getMessage().contains("no grub.cfg on " + loop), failures.get("no grub.cfg").getMessage());
        assertTrue(failures.get("bad mode").getMessage().contains("KEXEC_MODE must be jump or load-only"));
        assertTrue(!sh("mount").contains(loop), "every failure unmounted the partition");
    }

}
