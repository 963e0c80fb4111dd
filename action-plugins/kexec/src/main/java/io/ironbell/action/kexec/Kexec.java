package io.ironbell.action.kexec;

import io.ironbell.action.kexec.BootFiles.Boot;
import io.ironbell.action.support.Mount;
import io.ironbell.action.support.Tools;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's kexec, natively: boots the installed OS without going through the firmware. The
 * kernel and initrd come from {@code BLOCK_DEVICE} ({@code FS_TYPE}, mounted read-only): from
 * {@code KERNEL_PATH}/{@code INITRD_PATH} with {@code CMD_LINE}, or from the default entry of
 * {@code GRUBCFG_PATH} (boot/grub/grub.cfg, grub/grub.cfg or boot/grub2/grub.cfg; {@code CMD_LINE}
 * then replaces the entry's arguments). They are copied out, the file system unmounted, the kernel
 * loaded with kexec-tools; then the worker tells the server the action succeeded, and only then
 * the jump happens (Tinkerbell's never reports). {@code KEXEC_MODE=load-only} stops after the load
 * and leaves the kernel loaded.
 */
@Component(service = ActionPlugin.class)
@ActionType("kexec")
@ActionImages({"quay.io/tinkerbell-actions/kexec", "quay.io/tinkerbell/actions/kexec"})
public final class Kexec implements ActionPlugin {

    static final Duration KEXEC_TIMEOUT = Duration.ofSeconds(120);
    /** Where the kernel says whether a kexec kernel is loaded; absent when it cannot kexec at all. */
    static final Path KEXEC_LOADED = Path.of("/sys/kernel/kexec_loaded");

    private final String kexec;
    private final Path loadedFlag;

    public Kexec() {
        this("kexec", KEXEC_LOADED);
    }

    /** With another kexec executable and flag file: tests use a stand-in that records what it was asked. */
    Kexec(String kexec, Path loadedFlag) {
        this.kexec = kexec;
        this.loadedFlag = loadedFlag;
    }

    /** Kernel and initrd copied off the partition. */
    private record Staged(Path kernel, Optional<Path> initrd, long kernelSize, long initrdSize) {
    }

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String device = ctx.requireEnv("BLOCK_DEVICE");
        String fsType = ctx.requireEnv("FS_TYPE");
        String mode = ctx.env("KEXEC_MODE").orElse("jump");
        if (!mode.equals("jump") && !mode.equals("load-only")) {
            throw new ActionException(Reason.INVALID_INPUT, "KEXEC_MODE must be jump or load-only, was '" + mode + "'");
        }
        String tool = executable(kexec);
        Path staging;
        try {
            staging = Files.createTempDirectory("ironbell-kexec");
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot make a directory for the kernel: " + e.getMessage());
        }
        String what;
        try {
            Boot boot;
            Staged staged;
            try (Mount m = Mount.of(device, fsType, "ro")) {
                boot = BootFiles.choose(ctx, m.root());
                staged = stage(boot, staging);
            }
            what = describe(boot, staged);
            if (boot.cmdline().isBlank()) {
                ctx.log("warning: the command line is empty; the kernel will not know its root file system");
            }
            ctx.checkCancelled();
            ctx.log("loading " + what);
            load(tool, boot, staged);
        } finally {
            // loaded into memory (or not at all): the copies can go
            deleteTree(staging);
        }
        if (mode.equals("load-only")) {
            ctx.log("loaded; not jumping (KEXEC_MODE=load-only)");
            return ActionResult.success("loaded " + what + "; not jumping (KEXEC_MODE=load-only)");
        }
        try {
            Tools.run(List.of("sync"), "sync", Duration.ofSeconds(60), Reason.TARGET_FAILED);
            ctx.checkCancelled();
            ctx.reportSuccessBeforeJump("kexec into " + what);
        } catch (ActionException e) {
            unload(tool);
            throw e;
        }
        // the server has our success now; a kexec -e that comes back is an error for the log
        String returned;
        try {
            String out = Tools.run(List.of(tool, "-e"), "kexec -e", KEXEC_TIMEOUT, Reason.INTERNAL);
            returned = out.isEmpty() ? "" : ": " + out;
        } catch (ActionException e) {
            returned = ": " + e.getMessage();
        }
        unload(tool);
        throw new ActionException(Reason.INTERNAL, "kexec -e returned instead of starting the loaded kernel" + returned);
    }

    private void load(String tool, Boot boot, Staged staged) throws ActionException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(tool, "--kexec-syscall-auto", "-l", staged.kernel().toString()));
        staged.initrd().ifPresent(i -> cmd.add("--initrd=" + i));
        cmd.add("--command-line=" + boot.cmdline());
        try {
            Tools.run(cmd, "kexec -l " + boot.name(), KEXEC_TIMEOUT, Reason.UNAVAILABLE);
        } catch (ActionException e) {
            throw loadFailure(boot, e.getMessage());
        }
        if (Files.exists(loadedFlag)) {
            String flag = read(loadedFlag);
            if (!flag.equals("1")) {
                throw new ActionException(Reason.UNAVAILABLE, "kexec -l " + boot.name() + " exited 0 but " + loadedFlag + " says '" + flag
                        + "': no kernel is loaded");
            }
        }
    }

    /** kexec-tools' error, without its segment table, with what it means for the operator. */
    static ActionException loadFailure(Boot boot, String message) {
        String why = message.lines().filter(l -> !l.matches("\\s*(segment|entry|nr_segments)\\b.*"))
                .collect(Collectors.joining("; "));
        if (why.contains("Cannot determine the file type")) {
            return new ActionException(Reason.TARGET_FAILED, boot.name() + " (" + boot.source() + ") is not a kernel kexec can load: " + why);
        }
        if (why.contains("Function not implemented")) {
            return new ActionException(Reason.UNAVAILABLE, why + " (this machine's kernel cannot kexec: built without CONFIG_KEXEC,"
                    + " or running in a sandbox such as Firecracker)");
        }
        if (why.contains("Operation not permitted") || why.contains("Key was rejected") || why.contains("Permission denied")) {
            return new ActionException(Reason.UNAVAILABLE, why + " (the kernel refuses kexec: kernel.kexec_load_disabled is set,"
                    + " or lockdown/Secure Boot accepts only a signed kernel through kexec_file_load)");
        }
        return new ActionException(Reason.UNAVAILABLE, why);
    }

    private void unload(String tool) throws InterruptedException {
        try {
            Tools.run(List.of(tool, "-u"), "kexec -u", KEXEC_TIMEOUT, Reason.INTERNAL);
        } catch (ActionException ignored) {
            // nothing more can be done; the failure that got us here is the one to report
        }
    }

    /** The kexec executable: the path given, or the name looked up in PATH, /usr/sbin and /sbin. */
    static String executable(String name) throws ActionException {
        if (name.contains("/")) {
            if (Files.isExecutable(Path.of(name))) {
                return name;
            }
            throw new ActionException(Reason.UNAVAILABLE, name + " is not an executable: kexec-tools is not installed where it was expected");
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new ActionException(Reason.UNAVAILABLE, "kexec-tools is not installed on this machine: no " + name
                + " in PATH, /usr/sbin or /sbin (Debian and Ubuntu: apt-get install kexec-tools)");
    }

    /** Copies kernel and initrds off the partition (several initrds into one, as GRUB loads them), so it can be unmounted. */
    private static Staged stage(Boot boot, Path dir) throws ActionException {
        try {
            Path kernel = Files.copy(boot.kernel(), dir.resolve("kernel"));
            if (boot.initrds().isEmpty()) {
                return new Staged(kernel, Optional.empty(), Files.size(kernel), 0);
            }
            Path initrd = dir.resolve("initrd");
            try (OutputStream out = Files.newOutputStream(initrd)) {
                for (Path i : boot.initrds()) {
                    Files.copy(i, out);
                }
            }
            return new Staged(kernel, Optional.of(initrd), Files.size(kernel), Files.size(initrd));
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot copy " + boot.name() + " or its initrd off the partition: " + e.getMessage());
        }
    }

    /** "/boot/vmlinuz-6.1.0 (7.9 MiB, 'Debian' in boot/grub/grub.cfg) with initrd ... (31 MiB) and command line '...'". */
    private static String describe(Boot boot, Staged staged) {
        String initrd = boot.initrds().isEmpty() ? "without initrd"
                : "with initrd " + String.join(" + ", boot.initrdNames())
                + " (" + size(staged.initrdSize()) + ")";
        return boot.name() + " (" + size(staged.kernelSize()) + ", " + boot.source() + ") " + initrd
                + " and command line '" + boot.cmdline() + "'";
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        String[] units = {"KiB", "MiB", "GiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a copy left in /tmp of the in-memory OS is harmless
        }
    }
}
