package io.ironbell.launcher.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Point-in-time recovery from the archive, the part that does not depend on which server runs
 * the database: picks the newest base backup that ended before the target, unpacks it into an
 * empty data directory, gathers the WAL from its start on (the archive's, then what the old data
 * directory and the spool hold that never reached the archive), and leaves PostgreSQL's recovery
 * settings in the data directory so that its next start replays up to the target and promotes.
 */
public final class Restore {

    /** What a restore prepared. */
    public record Prepared(String baseId, Instant baseStopped, int walFiles) {
    }

    private static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

    private Restore() {
    }

    /** A listing of the archive for {@code ironbell restore --list}. */
    public static String describe(ArchiveStore store, Path work) throws IOException {
        Files.createDirectories(work);
        List<BaseBackup.Info> bases = BaseBackup.list(store, work);
        List<String> wal = store.list(WalShipper.PREFIX).stream()
                .map(k -> k.substring(WalShipper.PREFIX.length()).replaceFirst("\\.gz$", "")).toList();
        StringBuilder out = new StringBuilder("archive " + store.describe() + "\n");
        if (bases.isEmpty()) {
            out.append("no complete base backup yet\n");
        }
        for (BaseBackup.Info b : bases) {
            out.append(String.format("base backup %s  ended %s  %,d bytes  WAL from %s%n", b.id(), b.stopped(), b.bytes(), b.startWal()));
        }
        List<String> segments = wal.stream().filter(n -> WalFiles.position(n) != null).toList();
        out.append(String.format("WAL: %d file(s)%s%n", wal.size(), segments.isEmpty() ? ""
                : ", " + segments.get(0) + " .. " + segments.get(segments.size() - 1)));
        if (!bases.isEmpty()) {
            out.append("restorable to any moment after " + bases.get(0).stopped() + " up to the last archived commit\n");
        }
        return out.toString();
    }

    /**
     * Prepares {@code dataDir} (which must not exist) to recover to {@code target}: the base
     * backup, {@code walDir} filled, {@code recovery.signal} and the recovery settings.
     *
     * @param localWal directories that may hold WAL the archive lacks: the old data directory's
     *                 {@code pg_wal}, the archiver's spool (missing ones are skipped)
     */
    public static Prepared prepare(ArchiveStore store, Instant target, Path dataDir, Path walDir, List<Path> localWal, Path work)
            throws IOException {
        Files.createDirectories(work);
        List<BaseBackup.Info> bases = BaseBackup.list(store, work);
        if (bases.isEmpty()) {
            throw new IOException("the archive " + store.describe() + " holds no complete base backup");
        }
        BaseBackup.Info base = null;
        for (BaseBackup.Info b : bases) {
            if (b.stopped().isBefore(target)) {
                base = b;
            }
        }
        if (base == null) {
            throw new IOException("no base backup ended before " + target + ": the oldest, " + bases.get(0).id() + ", ended at "
                    + bases.get(0).stopped() + "; a restore can reach only moments after that");
        }
        if (Files.exists(dataDir)) {
            throw new IOException(dataDir + " exists; a restore writes a new data directory");
        }
        Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tar = work.resolve("restore-" + base.id() + ".tar.gz");
        try {
            store.get(BaseBackup.PREFIX + base.id() + "/" + BaseBackup.TAR, tar);
            unpack(tar, dataDir);
        } finally {
            Files.deleteIfExists(tar);
        }
        Files.createDirectories(walDir);
        String from = WalFiles.position(base.startWal());
        int files = 0;
        for (String key : store.list(WalShipper.PREFIX)) {
            String name = key.substring(WalShipper.PREFIX.length()).replaceFirst("\\.gz$", "");
            String position = WalFiles.position(name);
            if (WalFiles.isArchivable(name) && (position == null || position.compareTo(from) >= 0)) {
                Path gz = work.resolve(name + ".gz");
                try {
                    store.get(key, gz);
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz)); OutputStream out = Files.newOutputStream(walDir.resolve(name))) {
                        in.transferTo(out);
                    }
                } finally {
                    Files.deleteIfExists(gz);
                }
                files++;
            }
        }
        for (Path dir : localWal) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var local = Files.list(dir)) {
                for (Path f : local.filter(f -> WalFiles.isArchivable(f.getFileName().toString())).toList()) {
                    String position = WalFiles.position(f.getFileName().toString());
                    Path to = walDir.resolve(f.getFileName().toString());
                    if (!Files.exists(to) && (position == null || position.compareTo(from) >= 0)) {
                        Files.copy(f, to);
                        files++;
                    }
                }
            }
        }
        Files.writeString(dataDir.resolve("postgresql.auto.conf"), "\n# ironbell restore --to " + target + " (removed once recovered)\n"
                + "restore_command = 'cp \"" + walDir.toAbsolutePath() + "/%f\" \"%p\"'\n"
                + "recovery_target_time = '" + PG_TIME.format(target) + "'\n"
                + "recovery_target_timeline = 'latest'\n"
                + "recovery_target_action = 'promote'\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Files.createFile(dataDir.resolve("recovery.signal"));
        return new Prepared(base.id(), base.stopped(), files);
    }

    private static void unpack(Path tar, Path dataDir) throws IOException {
        Path root = dataDir.toAbsolutePath().normalize();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(Files.newInputStream(tar)))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                Path to = root.resolve(e.getName()).normalize();
                if (!to.startsWith(root)) {
                    throw new IOException("base backup entry outside the data directory: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(to);
                    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
                } else {
                    Files.createDirectories(to.getParent());
                    Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
                }
            }
        }
    }
}
