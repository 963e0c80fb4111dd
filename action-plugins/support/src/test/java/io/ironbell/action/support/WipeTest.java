package io.ironbell.action.support;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wipe on real loop devices (direct I/O, sizes that are no multiple of the 4 KiB alignment)
 * and on a file: exactly the ends are zero, the middle is untouched. Needs root for losetup.
 */
class WipeTest {

    @TempDir
    Path dir;

    /** A file of {@code size} bytes of 0xff, as a loop device when {@code loop}; returns the path to wipe. */
    private String ones(long size, boolean loop) throws Exception {
        Path f = dir.resolve("disk-" + size);
        sh("head -c " + size + " /dev/zero | tr '\\0' '\\377' > " + f);
        return loop ? sh("losetup --show -f " + f).trim() : f.toString();
    }

    /** How many bytes from {@code at}, {@code length} of them, are zero, and how many 0xff; "zeros/ones". */
    private static String count(String disk, long at, long length) throws Exception {
        String dd = "dd if=" + disk + " iflag=skip_bytes,count_bytes skip=" + at + " count=" + length + " status=none";
        return sh(dd + " | tr -cd '\\0' | wc -c").trim() + "/" + sh(dd + " | tr -cd '\\377' | wc -c").trim();
    }

    @Test
    void aDiskOfAnOddSizeLosesItsEndsAndNothingElse() throws Exception {
        long mib = 1 << 20;
        long size = 3 * mib + 1536; // 512-byte sectors, not whole 4 KiB blocks
        String disk = ones(size, true);
        try {
            Wipe.ends(Path.of(disk));
            assertEquals(mib + "/0", count(disk, 0, mib), "the first MiB");
            assertEquals(mib + "/0", count(disk, size - mib, mib), "the last MiB");
            // the last MiB starts at 2 MiB + 1536; the wipe's aligned start is 2 MiB
            assertEquals("0/" + mib, count(disk, mib, mib), "the middle");
            assertEquals("1536/0", count(disk, 2 * mib, 1536));
        } finally {
            sh("losetup -d " + disk);
        }
    }

    @Test
    void aDiskSmallerThanTwoMibIsZeroedWhole() throws Exception {
        long size = 1536 * 1024;
        String disk = ones(size, true);
        try {
            Wipe.ends(Path.of(disk));
            assertEquals(size + "/0", count(disk, 0, size));
        } finally {
            sh("losetup -d " + disk);
        }
    }

    @Test
    void aFileIsWipedThroughTheCache() throws Exception {
        long size = 5 * (1 << 20) + 100;
        String file = ones(size, false);
        Wipe.ends(Path.of(file));
        assertEquals(size, Files.size(Path.of(file)), "the file keeps its size");
        assertEquals((1 << 20) + "/0", count(file, 0, 1 << 20));
        assertEquals((1 << 20) + "/0", count(file, size - (1 << 20), 1 << 20));
        assertEquals("0/" + (3 << 20), count(file, 1 << 20, 3 << 20));
    }
}
