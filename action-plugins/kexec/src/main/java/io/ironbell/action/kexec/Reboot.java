package io.ironbell.action.kexec;

import io.ironbell.action.support.Tools;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.action.ActionType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * Reboots the machine through its firmware, so that it comes up from whatever its BMC (or its
 * boot order) says next: the last action of a template whose workflow has
 * {@code bootOptions.bootMode: netboot}. Tinkerbell's templates do this with
 * {@code ghcr.io/jacobweinstock/waitdaemon} and {@code command: ["reboot"]}, which this action runs
 * natively: file systems synced, the success reported first (so that the workflow ends
 * SUCCESS, as waitdaemon reports before it acts), {@code WAIT_SECONDS} waited, then the kernel's
 * immediate reboot (sysrq {@code b}).
 */
@Component(service = ActionPlugin.class)
@ActionType("reboot")
@ActionImages({"ghcr.io/jacobweinstock/waitdaemon", "ironbell/reboot"})
public final class Reboot implements ActionPlugin {

    static final Path SYSRQ_ENABLE = Path.of("/proc/sys/kernel/sysrq");
    static final Path SYSRQ_TRIGGER = Path.of("/proc/sysrq-trigger");

    private final Path enable;
    private final Path trigger;

    public Reboot() {
        this(SYSRQ_ENABLE, SYSRQ_TRIGGER);
    }

    /** With other files for the kernel's switches: tests use plain files and read what was written. */
    Reboot(Path enable, Path trigger) {
        this.enable = enable;
        this.trigger = trigger;
    }

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        List<String> command = ctx.command();
        if (!command.isEmpty() && !command.equals(List.of("reboot"))) {
            throw new ActionException(Reason.INVALID_INPUT, "this action reboots (command [\"reboot\"] or none); " + ctx.image()
                    + " with command " + command + " needs a container runtime (the containers flavour of the in-memory OS)");
        }
        String waitText = ctx.env("WAIT_SECONDS").orElse("0").strip();
        int wait;
        try {
            wait = Integer.parseInt(waitText);
        } catch (NumberFormatException e) {
            throw new ActionException(Reason.INVALID_INPUT, "WAIT_SECONDS must be a whole number of seconds, was '" + waitText + "'");
        }
        if (wait < 0 || wait > 3600) {
            throw new ActionException(Reason.INVALID_INPUT, "WAIT_SECONDS must be between 0 and 3600, was " + wait);
        }
        Tools.run(List.of("sync"), "sync", Duration.ofSeconds(60), Reason.TARGET_FAILED);
        ctx.checkCancelled();
        ctx.reportSuccessBeforeJump("rebooting through the firmware" + (wait > 0 ? " in " + wait + " s" : ""));
        Thread.sleep(wait * 1000L);
        try {
            Files.writeString(enable, "1");
            Files.writeString(trigger, "b");
        } catch (IOException e) {
            throw new ActionException(Reason.INTERNAL, "cannot reboot through " + trigger + ": " + e.getMessage());
        }
        // the kernel does not come back from sysrq b; a file that is not the kernel's does
        return ActionResult.success("reboot requested through " + trigger);
    }
}
