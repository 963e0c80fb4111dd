package io.ironbell.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Sh}, the tests' bounded command runner (here because framework/testing has no tests of
 * its own): a child that keeps the output open holds nobody, an overrun is killed with its tree.
 */
class ShTest {

    /** Runs {@code sh -c script}, which prints its background job's pid first, and fails unless it returns within 5 s. */
    private static Sh.Result runWithinFiveSeconds(String script, Duration timeout) throws Exception {
        long start = System.nanoTime();
        Sh.Result r = Sh.run(List.of("sh", "-c", script), timeout);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "returned when sh ended or at its timeout, not later: " + took);
        return r;
    }

    private static void assertSecondLineAndBackgroundGone(Sh.Result r, String second) {
        List<String> lines = r.output().lines().toList();
        assertEquals(second, lines.get(1));
        awaitGone(Long.parseLong(lines.get(0)));
    }

    @Test
    void aGrandchildThatKeepsStdoutOpenHoldsNobodyAndIsKilled() throws Exception {
        Sh.Result r = runWithinFiveSeconds("sleep 600 & echo $!; echo hi", Duration.ofSeconds(20));
        assertEquals(0, r.status(), r.output());
        assertSecondLineAndBackgroundGone(r, "hi");
    }

    @Test
    void aCommandThatOverrunsIsKilledWithItsDescendantsAndKeepsItsOutput() throws Exception {
        Sh.Result r = runWithinFiveSeconds("sleep 600 & echo $!; echo started; wait", Duration.ofMillis(500));
        assertTrue(r.overran(), "status " + r.status());
        assertEquals(Sh.OVERRUN, r.status());
        assertSecondLineAndBackgroundGone(r, "started");
    }

    @Test
    void aDaemonInASessionOfItsOwnIsLeftRunning() throws Exception {
        // waits until the daemon made its own session, as pg_ctl -w waits for its server
        Sh.Result r = Sh.run(List.of("sh", "-c", "setsid sleep 60 & d=$!; echo $d; until [ \"$(cut -d' ' -f6 /proc/$d/stat)\" = $d ]; do sleep 0.01; done"),
                Duration.ofSeconds(20));
        assertEquals(0, r.status(), r.output());
        ProcessHandle daemon = ProcessHandle.of(Long.parseLong(r.output().trim())).orElseThrow();
        try {
            assertTrue(!gone(daemon.pid()), "the daemon runs on");
        } finally {
            daemon.destroyForcibly();
        }
    }

    @Test
    void stderrKeptApartTheEnvironmentAndAnEmptyStdin() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "echo out; echo err >&2; echo $GREETING; cat; exit 3");
        pb.environment().put("GREETING", "grüße");
        assertEquals(new Sh.Result(3, "out\ngrüße\n", "err\n"), Sh.run(pb, Duration.ofSeconds(20)));
        assertEquals(new Sh.Result(0, "out\nerr\n", ""), Sh.run(List.of("sh", "-c", "echo out; echo err >&2"), Duration.ofSeconds(20)));
    }

    @Test
    void shFailsWithTheOutputOnANonZeroExit() throws Exception {
        assertEquals("a\n", Sh.sh("echo a"));
        AssertionError e = assertThrows(AssertionError.class, () -> Sh.sh("echo said; exit 4"));
        assertTrue(e.getMessage().startsWith("exit 4: ") && e.getMessage().contains("said"), e.getMessage());
    }

    /** Waits until a process no longer runs: it is gone, or a zombie that nobody reaped yet. */
    private static void awaitGone(long pid) {
        Await.until("process " + pid + " to be killed", Duration.ofSeconds(5), () -> gone(pid) ? true : null);
    }

    private static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.ISO_8859_1);
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
