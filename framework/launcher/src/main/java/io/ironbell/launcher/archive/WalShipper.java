package io.ironbell.launcher.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Moves what PostgreSQL's archiver put in the spool directory (PostgreSQL's {@code basic_archive}
 * writes each finished segment there, flushed, under its final name only once whole) into the
 * archive as {@code wal/NAME.gz}, then deletes it from the spool. A segment shipped twice (a
 * crash between the upload and the delete) is the same object written again.
 */
final class WalShipper {

    static final String PREFIX = "wal/";

    private final Path spool;
    private final ArchiveStore store;
    private final Path work;

    WalShipper(Path spool, ArchiveStore store, Path work) {
        this.spool = spool;
        this.store = store;
        this.work = work;
    }

    /** Ships every finished file in the spool, oldest name first; returns how many. */
    int ship() throws IOException {
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        List<Path> ready;
        try (var files = Files.list(spool)) {
            ready = files.filter(f -> WalFiles.isArchivable(f.getFileName().toString())).sorted().toList();
        }
        int shipped = 0;
        for (Path file : ready) {
            Path gz = work.resolve(file.getFileName() + ".gz");
            try {
                compress(file, gz);
                store.put(PREFIX + file.getFileName() + ".gz", gz);
            } finally {
                Files.deleteIfExists(gz);
            }
            Files.delete(file);
            shipped++;
        }
        return shipped;
    }

    static void compress(Path from, Path to) throws IOException {
        try (InputStream in = Files.newInputStream(from); OutputStream out = new GZIPOutputStream(Files.newOutputStream(to), 1 << 16)) {
            in.transferTo(out);
        }
    }
}
