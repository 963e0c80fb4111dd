package io.ironbell.action.support;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.Sh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** xz's memory, with images the real xz made: what a worker with its 64 MiB heap can decompress, and what it refuses. */
class CompressionTest {

    @TempDir
    Path dir;

    @Test
    void aWorkerWithItsHeapRefusesAnXz9ImageByNameOfTheLimitAndWritesAnXz7One() throws Exception {
        // the dictionary is in the header whatever the data's size: xz -9 asks for 64 MiB, -7 for 16
        sh("cd " + dir + " && seq 1 300000 > image && xz -9 -c image > nine.xz && xz -7 -c image > seven.xz && xz -6 -c image > six.xz");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Sh.Result r = Sh.run(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), XzInSmallHeap.class.getName(), dir.toString(),
                "nine.xz", "seven.xz", "six.xz"), Duration.ofSeconds(60));
        assertEquals(0, r.status(), "the worker's JVM ran out of memory, or failed:\n" + r.output());
        String size = sh("stat -c %s " + dir.resolve("image")).trim();
        assertTrue(r.output().contains("nine.xz refused UNSUPPORTED: "), r.output());
        assertTrue(r.output().contains("needs 65 MiB"), "what the image needs: " + r.output());
        assertTrue(r.output().contains("limit of 17 MiB"), "the limit: " + r.output());
        assertTrue(r.output().contains("seven.xz written " + size), r.output());
        assertTrue(r.output().contains("six.xz written " + size), r.output());
    }

    @Test
    void theLimitGrowsWithTheHeap() {
        int seven = 16 * 1024 + 40; // KiB the decoder needs for xz -7's 16 MiB dictionary, as xz --list -vv says: 17 MiB
        int eight = 32 * 1024 + 40;
        int nine = 64 * 1024 + 40;
        // the serial collector reports the heap less one survivor space
        for (long heap : new long[] {64L << 20, (64L << 20) - (2176L << 10)}) {
            int limit = Compression.xzMemoryLimitKiB(heap);
            assertTrue(limit >= seven && limit < 24 * 1024, "64 MiB: xz -7, no larger dictionary (the next is 24 MiB): " + limit);
        }
        assertTrue(Compression.xzMemoryLimitKiB((128L << 20) - (4352L << 10)) >= eight);
        assertTrue(Compression.xzMemoryLimitKiB((128L << 20)) < nine);
        assertTrue(Compression.xzMemoryLimitKiB((160L << 20) - (5440L << 10)) >= nine);
        assertEquals(0, Compression.xzMemoryLimitKiB(32L << 20), "a heap too small for any dictionary refuses every xz image");
        assertEquals(Integer.MAX_VALUE, Compression.xzMemoryLimitKiB(Long.MAX_VALUE), "a JVM without a heap limit: no limit");
    }
}
