package io.ironbell.launcher;

import io.ironbell.launcher.archive.ArchiveStore;
import io.ironbell.launcher.archive.Archiver;
import io.ironbell.launcher.archive.Restore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The launcher's side of the continuous archive ({@code archive.*} settings): the embedded
 * PostgreSQL's archiving settings, the {@link Archiver} beside a running server, and
 * {@code ironbell restore --to TIME | --list} with the server stopped.
 */
final class ContinuousArchive {

    private ContinuousArchive() {
    }

    static boolean enabled(Settings settings) {
        return !settings.get("archive.target", "").isBlank();
    }

    /** Where PostgreSQL's archiver leaves finished WAL files for the {@link Archiver}. */
    static Path spool(Settings settings, IronbellHome home) {
        return home.root().resolve(settings.get("archive.spool", "data/archive-spool")).normalize();
    }

    private static Path work(IronbellHome home) {
        return home.data().resolve("archive-work");
    }

    /**
     * The embedded PostgreSQL's settings for archiving: its own {@code basic_archive} module writes
     * each finished segment into the spool (flushed, renamed into place once whole), and a segment
     * is finished at the latest after {@code archive.timeoutSeconds}: the most recent committed
     * work the archive can lack.
     */
    static Map<String, String> serverConfig(Settings settings, IronbellHome home) throws IOException, SettingsException {
        if (!enabled(settings)) {
            return Map.of();
        }
        Path spool = spool(settings, home);
        Files.createDirectories(spool);
        return Map.of("archive_mode", "on", "archive_library", "basic_archive", "basic_archive.archive_directory", spool.toString(),
                "archive_timeout", Integer.toString(settings.getInt("archive.timeoutSeconds", 60)));
    }

    /** Starts archiving beside the server, or nothing when {@code archive.target} is empty. */
    static Optional<Archiver> start(Settings settings, IronbellHome home, Optional<EmbeddedDatabase> embedded)
            throws IOException, SettingsException {
        if (!enabled(settings)) {
            return Optional.empty();
        }
        Archiver.Connect connect = embedded.map(EmbeddedDatabase::archiveConnect).orElseGet(() -> new Archiver.Connect(
                settings.get("storage.jdbc.url", ""),
                settings.get("archive.user", "").isBlank() ? settings.get("storage.user", "") : settings.get("archive.user", ""),
                settings.get("archive.user", "").isBlank() ? settings.get("storage.password", "") : settings.get("archive.password", "")));
        ArchiveStore store = ArchiveStore.open(settings.get("archive.target", ""), settings.all(), home.root());
        return Optional.of(Archiver.start(connect, spool(settings, home), store, work(home),
                Duration.ofHours(settings.getInt("archive.baseBackupHours", 24)), settings.getInt("archive.keepBaseBackups", 7)));
    }

    /**
     * {@code ironbell restore --list} and {@code ironbell restore --to TIME}: the embedded
     * database's data directory is set aside (kept, named after the moment), the archive's newest
     * base backup before TIME unpacked in its place and replayed up to TIME. On failure the old
     * directory is put back. With an external database, {@code --data-dir DIR} prepares DIR for
     * the operator's PostgreSQL to start on instead.
     */
    static int restore(String[] args, Settings settings, IronbellHome home) {
        String to = null;
        Path dataDirOption = null;
        boolean list = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--list" -> list = true;
                case "--to" -> to = i + 1 < args.length ? args[++i] : null;
                case "--data-dir" -> dataDirOption = i + 1 < args.length ? Path.of(args[++i]).toAbsolutePath() : null;
                default -> {
                    if (!args[i].startsWith("-D")) {
                        System.err.println("ironbell restore: unknown argument " + args[i]);
                        return 64;
                    }
                }
            }
        }
        if (!enabled(settings)) {
            System.err.println("ironbell restore: archive.target is not set: there is no archive to restore from");
            return Main.EXIT_CONFIG;
        }
        try (ArchiveStore store = ArchiveStore.open(settings.get("archive.target", ""), settings.all(), home.root())) {
            if (list) {
                System.out.print(Restore.describe(store, work(home)));
                return 0;
            }
            if (to == null) {
                System.err.println("usage: ironbell restore --to TIME [--data-dir DIR] | --list   (TIME: 2026-12-06T19:30:00Z,"
                        + " or a local date and time)");
                return 64;
            }
            Instant target = parseTime(to);
            boolean external = !settings.get("storage.jdbc.url", "").isBlank();
            if (external && dataDirOption == null) {
                System.err.println("ironbell restore: the database is external (storage.jdbc.url): name the new data directory for"
                        + " its PostgreSQL with --data-dir DIR");
                return 64;
            }
            Path dataDir = external ? dataDirOption : home.data().resolve("postgres");
            Path walDir = dataDir.resolveSibling(dataDir.getFileName() + ".restore-wal");
            if (external) {
                Restore.Prepared p = Restore.prepare(store, target, dataDir, walDir, List.of(spool(settings, home)), work(home));
                System.out.printf("prepared %s from base backup %s (ended %s) and %d WAL file(s) in %s;%n"
                        + "start PostgreSQL on it (as its owner, same major version): it replays up to %s and promotes itself%n",
                        dataDir, p.baseId(), p.baseStopped(), p.walFiles(), walDir, target);
                return 0;
            }
            if (EmbeddedDatabase.orphan(dataDir).isPresent()) {
                System.err.println("ironbell restore: the embedded PostgreSQL is running on " + dataDir + ": stop the server first");
                return 75;
            }
            Path aside = dataDir.resolveSibling("postgres.before-restore-" + Instant.now().toString().replaceAll("[:.]", ""));
            if (Files.exists(dataDir)) {
                Files.move(dataDir, aside);
            }
            try {
                Restore.Prepared p = Restore.prepare(store, target, dataDir, walDir,
                        List.of(aside.resolve("pg_wal"), spool(settings, home)), work(home));
                System.out.printf("restoring from base backup %s (ended %s) with %d WAL file(s), up to %s%n", p.baseId(), p.baseStopped(),
                        p.walFiles(), target);
                EmbeddedDatabase.recover(dataDir, Duration.ofSeconds(settings.getInt("storage.embedded.startTimeoutSeconds", 120)),
                        Duration.ofSeconds(settings.getInt("archive.recoveryTimeoutSeconds", 3600)), serverConfig(settings, home));
            } catch (Exception e) {
                deleteTree(dataDir);
                if (Files.exists(aside)) {
                    Files.move(aside, dataDir);
                }
                throw e;
            } finally {
                deleteTree(walDir);
            }
            System.out.printf("restored to %s; the data directory from before is kept in %s (delete it when satisfied)%n", target, aside);
            return 0;
        } catch (DateTimeParseException e) {
            System.err.println("ironbell restore: cannot read the time '" + to + "': give 2026-12-06T19:30:00Z, an offset, or a local"
                    + " 2026-12-06T20:30:00");
            return 64;
        } catch (Exception e) {
            System.err.println("ironbell restore: " + e.getMessage());
            return Main.EXIT_START;
        }
    }

    /** An instant, a time with an offset, or a local date and time in this machine's zone. */
    static Instant parseTime(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                return LocalDateTime.parse(text.replace(' ', 'T')).atZone(ZoneId.systemDefault()).toInstant();
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
