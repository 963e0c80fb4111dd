package io.ironbell.action.kexec;

import io.ironbell.action.support.Mount;
import io.ironbell.action.support.Tools;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's kexec, natively: boots the installed OS without going through the firmware. The
 * kernel and initrd come from {@code BLOCK_DEVICE} ({@code FS_TYPE}, mounted read-only): from
 * {@code KERNEL_PATH}/{@code INITRD_PATH} with {@code CMD_LINE}, or from the default entry of
 * {@code GRUBCFG_PATH} (boot/grub/grub.cfg, grub/grub.cfg or boot/grub2/grub.cfg). They are copied
 * out, the file system unmounted, the kernel loaded with kexec-tools; then the worker tells the
 * server the action succeeded, and only then the jump happens (Tinkerbell's never reports).
 * {@code KEXEC_MODE=load-only} stops after the load.
 */
@Component(service = ActionPlugin.class, property = {ActionPlugin.TYPE + "=kexec",
        ActionPlugin.IMAGES + "=quay.io/tinkerbell-actions/kexec", ActionPlugin.IMAGES + "=quay.io/tinkerbell/actions/kexec"})
public final class Kexec implements ActionPlugin {

    static final Duration KEXEC_TIMEOUT = Duration.ofSeconds(120);
    static final List<String> GRUB_CONFIGS = List.of("boot/grub/grub.cfg", "grub/grub.cfg", "boot/grub2/grub.cfg", "grub2/grub.cfg");

    private final String kexec;

    public Kexec() {
        this("kexec");
    }

    /** With another kexec executable: tests use one that records what it was asked. */
    Kexec(String kexec) {
        this.kexec = kexec;
    }

    /** What to boot. */
    record Boot(Path kernel, Optional<Path> initrd, String cmdline, String source) {
    }

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String device = ctx.requireEnv("BLOCK_DEVICE");
        String fsType = ctx.requireEnv("FS_TYPE");
        String mode = ctx.env("KEXEC_MODE").orElse("jump");
        if (!mode.equals("jump") && !mode.equals("load-only")) {
            throw new ActionException(Reason.INVALID_INPUT, "KEXEC_MODE must be jump or load-only, was '" + mode + "'");
        }
        Path staging;
        try {
            staging = Files.createTempDirectory("ironbell-kexec");
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot make a directory for the kernel: " + e.getMessage());
        }
        Boot boot;
        try (Mount m = Mount.of(device, fsType, "ro")) {
            boot = choose(ctx, m.root());
            boot = copyOut(boot, staging);
        }
        ctx.log("loading " + boot.source() + " with command line '" + boot.cmdline() + "'");
        List<String> load = new ArrayList<>(List.of(kexec, "--kexec-syscall-auto", "-l", boot.kernel().toString()));
        boot.initrd().ifPresent(i -> load.add("--initrd=" + i));
        load.add("--command-line=" + boot.cmdline());
        try {
            Tools.run(load, "kexec -l " + boot.source(), KEXEC_TIMEOUT, Reason.UNAVAILABLE);
        } catch (ActionException e) {
            // kexec-tools prints its segment table too; the lines that say what went wrong suffice
            String why = e.getMessage().lines().filter(l -> !l.matches("\\s*(segment|entry|nr_segments).*")).reduce((a, b) -> a + "; " + b).orElse("");
            throw new ActionException(Reason.UNAVAILABLE, why + (why.contains("not implemented")
                    ? " (this kernel cannot kexec: CONFIG_KEXEC is off or it runs in a sandbox)" : ""));
        } finally {
            // the kernel is in memory now (or not at all): the copies can go
            deleteQuietly(boot.kernel());
            boot.initrd().ifPresent(Kexec::deleteQuietly);
            deleteQuietly(staging);
        }
        String loaded = "loaded " + boot.source() + " with command line '" + boot.cmdline() + "'";
        if (mode.equals("load-only")) {
            ctx.log(loaded + "; not jumping (KEXEC_MODE=load-only)");
            return ActionResult.success(loaded + "; not jumping (KEXEC_MODE=load-only)");
        }
        try {
            Tools.run(List.of("sync"), "sync", Duration.ofSeconds(60), Reason.TARGET_FAILED);
            ctx.reportSuccessBeforeJump("kexec into " + boot.source());
        } catch (ActionException e) {
            unload();
            throw e;
        }
        // from here on the server has our success; a kexec that returns is an error in the log
        Tools.run(List.of(kexec, "-e"), "kexec -e", KEXEC_TIMEOUT, Reason.INTERNAL);
        throw new ActionException(Reason.INTERNAL, "kexec -e returned instead of starting " + boot.source());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a file left in /tmp of the in-memory OS is harmless
        }
    }

    private void unload() throws InterruptedException {
        try {
            Tools.run(List.of(kexec, "-u"), "kexec -u", KEXEC_TIMEOUT, Reason.INTERNAL);
        } catch (ActionException ignored) {
            // nothing more can be done; the failure that got us here is the one to report
        }
    }

    /** The kernel, initrd and command line to boot, read from the mounted file system. */
    static Boot choose(ActionContext ctx, Path root) throws ActionException {
        Optional<String> kernelPath = ctx.env("KERNEL_PATH");
        if (kernelPath.isPresent()) {
            Path kernel = inside(root, kernelPath.get(), "KERNEL_PATH");
            Optional<Path> initrd = ctx.env("INITRD_PATH").isPresent()
                    ? Optional.of(inside(root, ctx.env("INITRD_PATH").get(), "INITRD_PATH")) : Optional.empty();
            return new Boot(kernel, initrd, ctx.env("CMD_LINE").orElse(""), kernelPath.get());
        }
        Path cfg = null;
        String cfgName = null;
        for (String name : ctx.env("GRUBCFG_PATH").map(List::of).orElse(GRUB_CONFIGS)) {
            Path p = root.resolve(strip(name));
            if (Files.isRegularFile(p) && p.normalize().startsWith(root)) {
                cfg = p;
                cfgName = name;
                break;
            }
        }
        if (cfg == null) {
            throw new ActionException(Reason.INVALID_INPUT, "no KERNEL_PATH, and no grub.cfg on " + ctx.env("BLOCK_DEVICE").orElse("?")
                    + " at " + ctx.env("GRUBCFG_PATH").map(List::of).orElse(GRUB_CONFIGS) + " to take the default entry from");
        }
        GrubConfig grub;
        GrubConfig.Entry entry;
        try {
            grub = GrubConfig.parse(Files.readString(cfg, StandardCharsets.UTF_8));
            entry = grub.chooseDefault(savedEntry(cfg.getParent()));
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot read " + cfgName + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ActionException(Reason.INVALID_INPUT, cfgName + ": " + e.getMessage());
        }
        if (entry.kernel() == null) {
            throw new ActionException(Reason.INVALID_INPUT, cfgName + ": the default entry '" + entry.title() + "' has no linux line");
        }
        Path kernel = inside(root, entry.kernel(), cfgName + " (entry '" + entry.title() + "')");
        Optional<Path> initrd = entry.initrds().isEmpty() ? Optional.empty()
                : Optional.of(inside(root, entry.initrds().get(0), cfgName + " (entry '" + entry.title() + "')"));
        String cmdline = ctx.env("CMD_LINE").orElse(String.join(" ", entry.kernelArgs()));
        return new Boot(kernel, initrd, cmdline, entry.kernel() + " ('" + entry.title() + "' in " + cfgName + ")");
    }

    /** grubenv's saved_entry, for {@code set default="${saved_entry}"}. */
    private static Optional<String> savedEntry(Path grubDir) {
        try {
            for (String line : Files.readAllLines(grubDir.resolve("grubenv"), StandardCharsets.UTF_8)) {
                if (line.startsWith("saved_entry=")) {
                    return Optional.of(line.substring("saved_entry=".length()).trim());
                }
            }
        } catch (IOException e) {
            // no grubenv: the first entry
        }
        return Optional.empty();
    }

    /**
     * A path on the mounted file system: a GRUB device prefix ({@code (hd0,gpt2)}) dropped, the
     * path kept inside the mount, and {@code /boot} dropped when the partition is /boot itself.
     */
    static Path inside(Path root, String path, String what) throws ActionException {
        String p = strip(path);
        Path direct = root.resolve(p).normalize();
        if (!direct.startsWith(root)) {
            throw new ActionException(Reason.INVALID_INPUT, what + ": " + path + " leads out of the file system");
        }
        if (Files.isRegularFile(direct, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(direct) && resolvesInside(root, direct)) {
            return direct;
        }
        if (p.startsWith("boot/")) {
            Path separateBoot = root.resolve(p.substring("boot/".length())).normalize();
            if (Files.isRegularFile(separateBoot) && resolvesInside(root, separateBoot)) {
                return separateBoot;
            }
        }
        throw new ActionException(Reason.TARGET_FAILED, what + ": " + path + " is not a file on the partition");
    }

    private static boolean resolvesInside(Path root, Path p) {
        try {
            return p.toRealPath().startsWith(root.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static String strip(String path) {
        String p = path.trim().replaceFirst("^\\([^)]*\\)", "");
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    /** Copies kernel and initrd off the partition, so that it is unmounted before the jump. */
    private static Boot copyOut(Boot boot, Path dir) throws ActionException {
        try {
            Path kernel = Files.copy(boot.kernel(), dir.resolve("kernel"));
            Optional<Path> initrd = boot.initrd().isPresent() ? Optional.of(Files.copy(boot.initrd().get(), dir.resolve("initrd"))) : Optional.empty();
            return new Boot(kernel, initrd, boot.cmdline(), boot.source());
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot copy the kernel off the partition: " + e.getMessage());
        }
    }
}
