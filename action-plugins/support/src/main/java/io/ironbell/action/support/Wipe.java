package io.ironbell.action.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Zeroes what makes a disk bootable and partitioned: its first MiB (the MBR with its boot code,
 * the primary GPT, the start of the boot loader) and its last MiB (the backup GPT, from which
 * firmware and tools would otherwise restore the table). Written as the image was, with direct I/O
 * from an aligned buffer, and flushed.
 */
final class Wipe {

    /** How much is zeroed at each end. */
    static final int SPAN = 1 << 20;

    private Wipe() {
    }

    /** Zeroes both ends of {@code disk} (all of it when it is smaller than two spans) and flushes it. */
    static void ends(Path disk) throws IOException {
        boolean direct = !Files.isRegularFile(disk);
        try (FileChannel out = DiskImageWriter.open(disk, direct); FileChannel plain = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            long size = plain.size();
            // a direct buffer starts zeroed
            ByteBuffer zeros = ByteBuffer.allocateDirect(SPAN + WriteBehind.ALIGN).alignedSlice(WriteBehind.ALIGN).limit(SPAN);
            zero(out, plain, zeros, 0, Math.min(SPAN, size));
            long last = Math.max(0, size - SPAN);
            last -= last % WriteBehind.ALIGN;
            zero(out, plain, zeros, last, size - last);
            out.force(true);
            plain.force(true);
        }
    }

    /** The aligned part through {@code out}, the few bytes past it (a disk of an odd size) through {@code plain}. */
    private static void zero(FileChannel out, FileChannel plain, ByteBuffer zeros, long from, long length) throws IOException {
        long end = from + length;
        long alignedEnd = end - (length % WriteBehind.ALIGN);
        for (long p = from; p < alignedEnd; p += zeros.limit()) {
            zeros.clear().limit((int) Math.min(SPAN, alignedEnd - p));
            WriteBehind.writeFully(out, zeros, p);
        }
        if (alignedEnd < end) {
            zeros.clear().limit((int) (end - alignedEnd));
            WriteBehind.writeFully(plain, zeros, alignedEnd);
        }
    }
}
