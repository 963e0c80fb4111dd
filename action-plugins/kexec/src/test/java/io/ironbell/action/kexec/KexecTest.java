package io.ironbell.action.kexec;

import static io.ironbell.action.kexec.GrubConfigTest.DEBIAN_UUID;
import static io.ironbell.action.kexec.GrubConfigTest.fixture;
import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.TestActionContext;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * kexec against real parts: ext4 file systems on loop devices, one a root file system and one a
 * separate /boot, holding Debian's kernel, an initrd made with cpio and Debian-shaped grub.cfg
 * files. The load goes to the real kexec-tools: on a kernel that can kexec it loads
 * (/sys/kernel/kexec_loaded goes 0 → 1, then the test unloads); on one that cannot (this project's
 * machines are Firecracker VMs, whose kernel has no kexec) the action fails UNAVAILABLE saying why,
 * after having done everything up to the load. What kexec is asked exactly, and that the server is
 * told before {@code kexec -e}, is checked with a stand-in kexec that records its calls; the real
 * jump happens in EndToEndIT's VM. Needs root, kexec-tools, e2fsprogs, cpio and linux-image-amd64
 * (.ci/prepare installs them); fails, never skips, without them.
 */
class KexecTest {

    private static final Path LOADED = Kexec.KEXEC_LOADED;
    private static final String IMAGE = "quay.io/tinkerbell-actions/kexec:v1.0.0";

    private static Path dir;
    private static Path kernel;
    private static String version;
    private static Path initrd;
    /** A root file system: /boot/vmlinuz-*, /boot/initrd.img-*, /boot/grub/grub.cfg, the /vmlinuz link. */
    private static String rootfs;
    /** A separate /boot: /vmlinuz-*, /initrd.img-*, /grub/grub.cfg. */
    private static String bootfs;

    private Path record;
    private Path flag;

    @BeforeAll
    static void makeDisks() throws Exception {
        assertEquals("0", sh("id -u").trim(), "KexecTest needs root for loop devices");
        for (String tool : List.of("kexec", "mkfs.ext4", "cpio", "losetup", "sha256sum")) {
            assertTrue(sh("command -v " + tool + " || echo none").trim().startsWith("/"),
                    tool + " is missing: apt-get install kexec-tools e2fsprogs cpio util-linux coreutils (.ci/prepare)");
        }
        List<Path> kernels = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            s.forEach(kernels::add);
        }
        assertFalse(kernels.isEmpty(), "no kernel under /boot: apt-get install linux-image-amd64");
        kernels.sort(null);
        kernel = kernels.get(kernels.size() - 1);
        version = kernel.getFileName().toString().substring("vmlinuz-".length());
        dir = Files.createTempDirectory("kexec-test");

        // a small initramfs, as an installed OS's would be (just smaller)
        Path tree = Files.createDirectories(dir.resolve("initramfs/bin"));
        Files.writeString(tree.resolveSibling("init"), "#!/bin/sh\necho installed OS\n");
        initrd = dir.resolve("initrd.img");
        sh("cd " + tree.getParent() + " && chmod +x init && find . | cpio -o -H newc --quiet | gzip -9 > " + initrd);

        Path root = Files.createDirectories(dir.resolve("root/boot/grub"));
        Files.copy(kernel, root.resolveSibling("vmlinuz-" + version));
        Files.copy(initrd, root.resolveSibling("initrd.img-" + version));
        Files.writeString(root.resolve("grub.cfg"), fixture("debian-12.grub.cfg").replace("6.1.0-18-amd64", version));
        Files.writeString(root.resolve("broken.cfg"), fixture("debian-12.grub.cfg").replace("set default=\"0\"", "set default=\"7\""));
        Files.createSymbolicLink(dir.resolve("root/vmlinuz"), Path.of("boot/vmlinuz-" + version));
        Files.createSymbolicLink(dir.resolve("root/initrd.img"), Path.of("boot/initrd.img-" + version));

        Path boot = Files.createDirectories(dir.resolve("boot/grub"));
        Files.copy(kernel, boot.resolveSibling("vmlinuz-" + version));
        Files.copy(initrd, boot.resolveSibling("initrd.img-" + version));
        Files.writeString(boot.resolve("grub.cfg"), fixture("debian-12-separate-boot.grub.cfg").replace("6.1.0-18-amd64", version));

        rootfs = fileSystem("root", "64M");
        bootfs = fileSystem("boot", "32M");
    }

    /** An ext4 image made from a directory (mkfs -d), on a loop device. */
    private static String fileSystem(String name, String size) throws Exception {
        Path img = dir.resolve(name + ".img");
        sh("mkfs.ext4 -q -F -d " + dir.resolve(name) + " " + img + " " + size);
        return sh("losetup --show -f " + img).trim();
    }

    @AfterAll
    static void dropDisks() throws Exception {
        for (String loop : new String[] {rootfs, bootfs}) {
            if (loop != null) {
                sh("losetup -d " + loop);
            }
        }
        if (dir != null) {
            sh("rm -rf " + dir);
        }
    }

    private List<Path> stagingBefore;

    @BeforeEach
    void noteStaging() throws IOException {
        stagingBefore = staging();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        String mounts = sh("cat /proc/mounts");
        assertFalse(mounts.contains(rootfs + " ") || mounts.contains(bootfs + " "), "a partition is still mounted:\n" + mounts);
        assertEquals(stagingBefore, staging(), "the kernel copies were removed");
    }

    private static List<Path> staging() throws IOException {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith("ironbell-kexec")).sorted().toList();
        }
    }

    private static Map<String, String> env(String device, String... kv) {
        Map<String, String> env = new HashMap<>(Map.of("BLOCK_DEVICE", device, "FS_TYPE", "ext4"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    /**
     * A kexec stand-in: appends its arguments to {@code record}, the sha256 of the kernel and
     * initrd it is given to record.kernel and record.initrd, and sets {@code flag} as the kernel
     * sets /sys/kernel/kexec_loaded (unless told to forget that).
     */
    private Path standIn(boolean setsFlag) throws IOException {
        record = dir.resolve("calls-" + System.nanoTime());
        flag = dir.resolve("loaded-" + System.nanoTime());
        Files.writeString(flag, "0\n");
        Path script = dir.resolve("kexec-" + System.nanoTime());
        Files.writeString(script, """
                #!/bin/sh
                echo "$*" >> %1$s
                for a in "$@"; do
                  case "$a" in --initrd=*) sha256sum "${a#--initrd=}" | cut -d' ' -f1 > %1$s.initrd ;; esac
                done
                if [ "$2" = -l ]; then
                  sha256sum "$3" | cut -d' ' -f1 > %1$s.kernel
                  [ %3$s = yes ] && echo 1 > %2$s
                fi
                [ "$1" = -u ] && echo 0 > %2$s
                exit 0
                """.formatted(record, flag, setsFlag ? "yes" : "no"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private List<String> calls() throws IOException {
        return Files.exists(record) ? Files.readAllLines(record) : List.of();
    }

    private static String sha256(Path p) throws Exception {
        return sh("sha256sum " + p + " | cut -d' ' -f1").trim();
    }

    /** Loads for real where the kernel can kexec; else expects the clear refusal. Returns the success, or null. */
    private static ActionResult loadForReal(TestActionContext ctx) throws Exception {
        if (!Files.exists(LOADED)) {
            ActionException e = assertThrows(ActionException.class, () -> new Kexec().execute(ctx));
            assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("Function not implemented") && e.getMessage().contains("this machine's kernel cannot kexec"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("segment["), "kexec's segment table is left out: " + e.getMessage());
            System.out.println("KexecTest: this kernel has no kexec (no " + LOADED + "); the load was refused as expected: " + e.getMessage());
            return null;
        }
        assertEquals("0", Files.readString(LOADED).trim(), "a kexec kernel was loaded before the test");
        try {
            ActionResult r = new Kexec().execute(ctx);
            assertEquals("1", Files.readString(LOADED).trim(), "the kernel is loaded");
            return r;
        } finally {
            sh("kexec -u");
            assertEquals("0", Files.readString(LOADED).trim());
        }
    }

    @Test
    void loadOnlyLoadsTheDefaultGrubEntry() throws Exception {
        TestActionContext ctx = new TestActionContext(IMAGE, env(rootfs, "KEXEC_MODE", "load-only"));
        ActionResult r = loadForReal(ctx);
        String what = "/boot/vmlinuz-" + version + " (" + Kexec.size(Files.size(kernel)) + ", 'Debian GNU/Linux' in boot/grub/grub.cfg,"
                + " set default=\"0\") with initrd /boot/initrd.img-" + version + " (" + Kexec.size(Files.size(initrd)) + ")"
                + " and command line 'root=UUID=" + DEBIAN_UUID + " ro quiet'";
        assertTrue(ctx.lines.contains("loading " + what), ctx.lines.toString());
        if (r != null) {
            assertEquals("loaded " + what + "; not jumping (KEXEC_MODE=load-only)", r.message());
        }
        assertEquals(List.of(), ctx.jumps, "load-only never reports a jump");
    }

    @Test
    void loadOnlyWithKernelPathGiven() throws Exception {
        TestActionContext ctx = new TestActionContext(IMAGE, env(rootfs, "KEXEC_MODE", "load-only", "KERNEL_PATH", "/vmlinuz",
                "INITRD_PATH", "/initrd.img", "CMD_LINE", "root=/dev/vda1 ro console=ttyS0,115200"));
        ActionResult r = loadForReal(ctx);
        String what = "/vmlinuz (" + Kexec.size(Files.size(kernel)) + ", KERNEL_PATH) with initrd /initrd.img (" + Kexec.size(Files.size(initrd))
                + ") and command line 'root=/dev/vda1 ro console=ttyS0,115200'";
        assertTrue(ctx.lines.contains("loading " + what), ctx.lines.toString());
        if (r != null) {
            assertTrue(r.message().startsWith("loaded " + what), r.message());
        }
    }

    @Test
    void theStandInGetsExactlyTheFilesOfTheSeparateBootPartition() throws Exception {
        Path kexec = standIn(true);
        TestActionContext ctx = new TestActionContext(IMAGE, env(bootfs, "KEXEC_MODE", "load-only"));
        ActionResult r = new Kexec(kexec.toString(), flag).execute(ctx);
        assertEquals("loaded /vmlinuz-" + version + " (" + Kexec.size(Files.size(kernel)) + ", 'Debian GNU/Linux' in grub/grub.cfg, set default=\"0\")"
                + " with initrd /initrd.img-" + version + " (" + Kexec.size(Files.size(initrd)) + ") and command line 'root=UUID=" + DEBIAN_UUID
                + " ro quiet'; not jumping (KEXEC_MODE=load-only)", r.message());
        List<String> calls = calls();
        assertEquals(1, calls.size(), calls.toString());
        assertTrue(calls.get(0).matches("--kexec-syscall-auto -l /\\S+/ironbell-kexec\\S*/kernel --initrd=/\\S+/initrd --command-line=root=UUID="
                + DEBIAN_UUID + " ro quiet"), calls.get(0));
        assertEquals(sha256(kernel), Files.readString(Path.of(record + ".kernel")).trim(), "Debian's kernel, byte for byte");
        assertEquals(sha256(initrd), Files.readString(Path.of(record + ".initrd")).trim(), "the initrd, byte for byte");
        assertEquals("1", Files.readString(flag).trim(), "load-only leaves the kernel loaded");

        // kexec says it loaded, the kernel says nothing is: no success
        Path forgetful = standIn(false);
        ActionException e = assertThrows(ActionException.class,
                () -> new Kexec(forgetful.toString(), flag).execute(new TestActionContext(IMAGE, env(bootfs, "KEXEC_MODE", "load-only"))));
        assertEquals(Reason.UNAVAILABLE, e.reason());
        assertEquals("kexec -l /vmlinuz-" + version + " exited 0 but " + flag + " says '0': no kernel is loaded", e.getMessage());
    }

    @Test
    void theServerIsToldBeforeKexecE() throws Exception {
        Path kexec = standIn(true);
        TestActionContext told = new TestActionContext(IMAGE, env(rootfs, "KERNEL_PATH", "/boot/vmlinuz-" + version,
                "INITRD_PATH", "(hd0,gpt2)/boot/initrd.img-" + version, "CMD_LINE", "console=ttyS0 marker=1"));
        // what kexec had been asked when the worker told the server
        AtomicReference<List<String>> callsWhenTold = new AtomicReference<>();
        ActionContext ctx = (ActionContext) Proxy.newProxyInstance(ActionContext.class.getClassLoader(), new Class<?>[] {ActionContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("reportSuccessBeforeJump")) {
                        callsWhenTold.set(calls());
                    }
                    try {
                        return method.invoke(told, args);
                    } catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                });

        ActionException returned = assertThrows(ActionException.class, () -> new Kexec(kexec.toString(), flag).execute(ctx));
        assertEquals(Reason.INTERNAL, returned.reason(), "a kexec -e that returns is an error");
        assertEquals("kexec -e returned instead of starting the loaded kernel", returned.getMessage());
        assertEquals(List.of("kexec into /boot/vmlinuz-" + version + " (" + Kexec.size(Files.size(kernel)) + ", KERNEL_PATH) with initrd (hd0,gpt2)/boot/initrd.img-"
                + version + " (" + Kexec.size(Files.size(initrd)) + ") and command line 'console=ttyS0 marker=1'"), told.jumps);
        assertEquals(1, callsWhenTold.get().size(), "when the server was told, kexec had only loaded: " + callsWhenTold.get());
        assertTrue(callsWhenTold.get().get(0).matches("--kexec-syscall-auto -l \\S+/kernel --initrd=\\S+/initrd --command-line=console=ttyS0 marker=1"),
                callsWhenTold.get().get(0));
        assertEquals(List.of("-e", "-u"), calls().subList(1, calls().size()), "then the jump; as it came back, the unload");
    }

    @Test
    void noJumpWhenTheServerCannotBeToldOrTheActionWasCancelled() throws Exception {
        Path kexec = standIn(true);
        TestActionContext untold = new TestActionContext(IMAGE, env(rootfs));
        untold.jumpFailure = new ActionException(Reason.UNAVAILABLE, "the server could not be told of the success before the jump; not jumping");
        ActionException refused = assertThrows(ActionException.class, () -> new Kexec(kexec.toString(), flag).execute(untold));
        assertEquals(untold.jumpFailure, refused);
        List<String> calls = calls();
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(calls.get(0).startsWith("--kexec-syscall-auto -l "), calls.get(0));
        assertEquals("-u", calls.get(1), "unloaded, never jumped");
        assertEquals("0", Files.readString(flag).trim());

        Path again = standIn(true);
        TestActionContext cancelled = new TestActionContext(IMAGE, env(rootfs));
        cancelled.cancelled = true;
        assertEquals(Reason.CANCELLED, assertThrows(ActionException.class, () -> new Kexec(again.toString(), flag).execute(cancelled)).reason());
        assertEquals(List.of(), calls(), "nothing loaded");
        assertEquals(List.of(), cancelled.jumps);
    }

    @Test
    void badInputFailsWithItsReasonAndSaysWhat() throws Exception {
        Map<String, ActionException> f = new HashMap<>();
        f.put("no device", fails(new Kexec(), Map.of("FS_TYPE", "ext4")));
        f.put("no type", fails(new Kexec(), Map.of("BLOCK_DEVICE", rootfs)));
        f.put("bad mode", fails(new Kexec(), env(rootfs, "KEXEC_MODE", "maybe")));
        f.put("no such device", fails(new Kexec(), env("/dev/no-such-disk1", "KEXEC_MODE", "load-only")));
        f.put("wrong type", fails(new Kexec(), env(rootfs, "FS_TYPE", "xfs", "KEXEC_MODE", "load-only")));
        f.put("missing kernel", fails(new Kexec(), env(rootfs, "KERNEL_PATH", "/boot/vmlinuz-nope", "KEXEC_MODE", "load-only")));
        f.put("missing initrd", fails(new Kexec(), env(rootfs, "KERNEL_PATH", "/vmlinuz", "INITRD_PATH", "/boot/initrd-nope", "KEXEC_MODE", "load-only")));
        f.put("escape", fails(new Kexec(), env(rootfs, "KERNEL_PATH", "/../../etc/passwd", "KEXEC_MODE", "load-only")));
        f.put("no grub.cfg", fails(new Kexec(), env(rootfs, "GRUBCFG_PATH", "efi/EFI/debian/grub.cfg", "KEXEC_MODE", "load-only")));
        f.put("bad default", fails(new Kexec(), env(rootfs, "GRUBCFG_PATH", "boot/grub/broken.cfg", "KEXEC_MODE", "load-only")));
        f.put("not a kernel", fails(new Kexec(), env(rootfs, "KERNEL_PATH", "/boot/grub/grub.cfg", "KEXEC_MODE", "load-only")));
        f.put("no kexec here", fails(new Kexec("/opt/nowhere/kexec", LOADED), env(rootfs, "KEXEC_MODE", "load-only")));
        f.put("no kexec", fails(new Kexec("kexec-not-installed", LOADED), env(rootfs, "KEXEC_MODE", "load-only")));

        expect(f, "no device", Reason.INVALID_INPUT, "BLOCK_DEVICE");
        expect(f, "no type", Reason.INVALID_INPUT, "FS_TYPE");
        expect(f, "bad mode", Reason.INVALID_INPUT, "KEXEC_MODE must be jump or load-only, was 'maybe'");
        expect(f, "no such device", Reason.TARGET_FAILED, "/dev/no-such-disk1 does not exist");
        expect(f, "wrong type", Reason.TARGET_FAILED, "mounting " + rootfs + " as xfs failed");
        expect(f, "missing kernel", Reason.TARGET_FAILED, "KERNEL_PATH: /boot/vmlinuz-nope is not a file on the partition (nor /vmlinuz-nope)");
        expect(f, "missing initrd", Reason.TARGET_FAILED, "INITRD_PATH: /boot/initrd-nope is not a file on the partition");
        expect(f, "escape", Reason.INVALID_INPUT, "KERNEL_PATH: /../../etc/passwd leads out of the partition");
        expect(f, "no grub.cfg", Reason.INVALID_INPUT, "KERNEL_PATH is not set and " + rootfs
                + " has no grub.cfg to take the default entry from (looked for efi/EFI/debian/grub.cfg)");
        expect(f, "bad default", Reason.INVALID_INPUT, "boot/grub/broken.cfg: the default entry '7' (set default=\"7\") names no menu entry");
        expect(f, "not a kernel", Reason.TARGET_FAILED, "/boot/grub/grub.cfg (KERNEL_PATH) is not a kernel kexec can load:");
        expect(f, "not a kernel", Reason.TARGET_FAILED, "Cannot determine the file type");
        expect(f, "no kexec here", Reason.UNAVAILABLE, "/opt/nowhere/kexec is not an executable: kexec-tools is not installed where it was expected");
        expect(f, "no kexec", Reason.UNAVAILABLE, "kexec-tools is not installed on this machine: no kexec-not-installed in PATH, /usr/sbin or /sbin"
                + " (Debian and Ubuntu: apt-get install kexec-tools)");
    }

    private static ActionException fails(Kexec kexec, Map<String, String> env) {
        return assertThrows(ActionException.class, () -> kexec.execute(new TestActionContext(IMAGE, env)), env.toString());
    }

    private static void expect(Map<String, ActionException> failures, String name, Reason reason, String text) {
        ActionException e = failures.get(name);
        assertEquals(reason, e.reason(), name + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(text), name + ": " + e.getMessage());
    }
}
