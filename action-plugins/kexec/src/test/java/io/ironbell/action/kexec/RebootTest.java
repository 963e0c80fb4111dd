package io.ironbell.action.kexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.testing.TempDirs;
import io.ironbell.testing.TestActionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reboot action: success reported before the kernel is told, bad settings refused before anything happens. */
class RebootTest {

    @Test
    void reportsSuccessThenTellsTheKernelToReboot() throws Exception {
        Path dir = Files.createTempDirectory("reboot");
        try {
            Path enable = dir.resolve("sysrq");
            Path trigger = dir.resolve("sysrq-trigger");
            TestActionContext ctx = new TestActionContext("ghcr.io/jacobweinstock/waitdaemon:latest", Map.of("WAIT_SECONDS", "1"));
            ctx.command = List.of("reboot");
            long t0 = System.nanoTime();
            new Reboot(enable, trigger).execute(ctx);
            assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "waited WAIT_SECONDS");
            assertEquals("1", Files.readString(enable));
            assertEquals("b", Files.readString(trigger));
            assertEquals(List.of("rebooting through the firmware in 1 s"), ctx.jumps);
        } finally {
            TempDirs.delete(dir);
        }
    }

    @Test
    void anotherCommandOrABadWaitIsRefusedAndNothingHappens() throws Exception {
        Path dir = Files.createTempDirectory("reboot");
        try {
            Reboot r = new Reboot(dir.resolve("sysrq"), dir.resolve("sysrq-trigger"));
            TestActionContext kexec = new TestActionContext("ghcr.io/jacobweinstock/waitdaemon:latest", Map.of());
            kexec.command = List.of("kexec");
            ActionException other = assertThrows(ActionException.class, () -> r.execute(kexec));
            assertEquals(ActionException.Reason.INVALID_INPUT, other.reason());
            ActionException bad = assertThrows(ActionException.class, () -> r.execute(new TestActionContext("ironbell/reboot",
                    Map.of("WAIT_SECONDS", "soon"))));
            assertTrue(bad.getMessage().contains("WAIT_SECONDS"), bad.getMessage());
            assertTrue(!Files.exists(dir.resolve("sysrq-trigger")));
        } finally {
            TempDirs.delete(dir);
        }
    }
}
