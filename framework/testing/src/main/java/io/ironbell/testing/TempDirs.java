package io.ironbell.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Work directories a test made for itself and removes when done: a CI machine runs the suite
 * again and again, and each run of the VM tests leaves hundreds of megabytes otherwise.
 */
public final class TempDirs {

    private TempDirs() {
    }

    /**
     * Deletes {@code dir} and everything in it (links themselves, never what they point to);
     * nothing when it is null or gone. A process that was just stopped may still be writing its
     * last files there: the walk is tried again, a few times.
     */
    public static void delete(Path dir) {
        for (int attempt = 1; ; attempt++) {
            if (dir == null || !Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
                return;
            } catch (IOException | UncheckedIOException e) {
                if (attempt == 3) {
                    throw new IllegalStateException("cannot delete the work directory " + dir, e);
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
