package io.ironbell.launcher.archive;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * A base backup taken through SQL alone, so that it works for a database on another host as for
 * the embedded one: PostgreSQL's non-exclusive backup ({@code pg_backup_start}/{@code pg_backup_stop}
 * in one session), the data directory listed with {@code pg_ls_dir}/{@code pg_stat_file} and read
 * with {@code pg_read_binary_file} — the functions pg_rewind reads a remote server with. Files
 * change while they are copied; replaying the WAL from the backup's start makes them consistent,
 * as with pg_basebackup. Like pg_basebackup, a file that shrank is padded with zeros to the size
 * it had when listed, and one that vanished is left out.
 *
 * <p>The role needs PostgreSQL 15 or newer and either superuser or: {@code pg_read_server_files},
 * and EXECUTE on {@code pg_backup_start}, {@code pg_backup_stop}, {@code pg_ls_dir(text,boolean,boolean)},
 * {@code pg_stat_file(text,boolean)} and {@code pg_read_binary_file(text,bigint,bigint,boolean)}.
 *
 * <p>In the archive: {@code base/ID/base.tar.gz}, then {@code base/ID/backup.properties}, written
 * last, which marks the backup complete.
 */
final class BaseBackup {

    static final String PREFIX = "base/";
    static final String TAR = "base.tar.gz";
    static final String MARKER = "backup.properties";
    private static final int CHUNK = 1 << 20;
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** Directories whose contents a backup leaves out: the server recreates them (pg_wal comes from the archive). */
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots",
            "pg_stat_tmp", "pg_subtrans");
    /** Files of a running server that a restored one must not find. */
    private static final Set<String> SKIPPED = Set.of("postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map",
            "backup_manifest", "standby.signal", "recovery.signal", "recovery.conf", "pg_internal.init");

    /** What the archive records about one complete base backup. */
    record Info(String id, String startLsn, String stopLsn, String startWal, Instant started, Instant stopped, long bytes, int serverVersion) {

        Properties toProperties() {
            Properties p = new Properties();
            p.setProperty("id", id);
            p.setProperty("startLsn", startLsn);
            p.setProperty("stopLsn", stopLsn);
            p.setProperty("startWal", startWal);
            p.setProperty("started", started.toString());
            p.setProperty("stopped", stopped.toString());
            p.setProperty("bytes", Long.toString(bytes));
            p.setProperty("serverVersion", Integer.toString(serverVersion));
            return p;
        }

        static Info of(Properties p) {
            return new Info(p.getProperty("id"), p.getProperty("startLsn"), p.getProperty("stopLsn"), p.getProperty("startWal"),
                    Instant.parse(p.getProperty("started")), Instant.parse(p.getProperty("stopped")), Long.parseLong(p.getProperty("bytes")),
                    Integer.parseInt(p.getProperty("serverVersion")));
        }
    }

    private record Entry(String path, long size, boolean directory) {
    }

    private BaseBackup() {
    }

    /** Takes a base backup over {@code c} (autocommit, a privileged role) and stores it; {@code work} holds the tarball meanwhile. */
    static Info take(Connection c, ArchiveStore store, Path work) throws SQLException, IOException {
        c.setAutoCommit(true);
        int version;
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT current_setting('server_version_num')::int,"
                + " (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global'))")) {
            r.next();
            version = r.getInt(1);
            if (version < 150000) {
                throw new SQLException("base backups need PostgreSQL 15 or newer (pg_backup_start); this one is " + version);
            }
            if (r.getLong(2) > 0) {
                throw new SQLException("the database uses tablespaces of its own, which the archive does not back up");
            }
        }
        Instant started = Instant.now();
        String id = ID.format(started);
        String startLsn;
        String startWal;
        try (PreparedStatement ps = c.prepareStatement("SELECT lsn::text, pg_walfile_name(lsn) FROM pg_backup_start(?, true) AS lsn")) {
            ps.setString(1, "ironbell " + id);
            try (ResultSet r = ps.executeQuery()) {
                r.next();
                startLsn = r.getString(1);
                startWal = r.getString(2);
            }
        }
        Path tar = work.resolve("base-" + id + ".tar.gz");
        String stopLsn;
        Instant stopped;
        boolean stoppedBackup = false;
        try {
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 16);
                 TarArchiveOutputStream out = new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
                out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Entry e : list(c)) {
                    copy(c, e, out);
                }
                out.putArchiveEntry(directory("pg_wal/archive_status/"));
                out.closeArchiveEntry();
                // waits until the WAL the backup needs is in the archiver's hands
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                        "SELECT lsn::text, labelfile, clock_timestamp() FROM pg_backup_stop(true)")) {
                    r.next();
                    stopLsn = r.getString(1);
                    byte[] label = r.getString(2).getBytes(StandardCharsets.UTF_8);
                    stopped = r.getTimestamp(3).toInstant();
                    stoppedBackup = true;
                    TarArchiveEntry entry = new TarArchiveEntry("backup_label");
                    entry.setSize(label.length);
                    entry.setMode(0600);
                    out.putArchiveEntry(entry);
                    out.write(label);
                    out.closeArchiveEntry();
                }
            }
            Info info = new Info(id, startLsn, stopLsn, startWal, started, stopped, Files.size(tar), version);
            store.put(PREFIX + id + "/" + TAR, tar);
            Path marker = work.resolve("backup-" + id + ".properties");
            try (OutputStream o = Files.newOutputStream(marker)) {
                info.toProperties().store(o, "an Ironbell base backup: complete");
            }
            try {
                store.put(PREFIX + id + "/" + MARKER, marker);
            } finally {
                Files.deleteIfExists(marker);
            }
            return info;
        } finally {
            Files.deleteIfExists(tar);
            if (!stoppedBackup) {
                abort(c);
            }
        }
    }

    /** A backup that failed half way is ended, so the server stops forcing full-page writes for it. */
    private static void abort(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_backup_stop(false)");
        } catch (SQLException ignored) {
            // the session is gone, and the backup with it
        }
    }

    /** Every file and directory of the data directory, parents before children. */
    private static List<Entry> list(Connection c) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "WITH RECURSIVE tree(path, size, isdir) AS ("
                        + " SELECT name, st.size, st.isdir FROM pg_ls_dir('.', true, false) AS name, pg_stat_file(name, true) AS st"
                        + " UNION ALL"
                        + " SELECT t.path || '/' || name, st.size, st.isdir FROM tree t, pg_ls_dir(t.path, true, false) AS name,"
                        + "   pg_stat_file(t.path || '/' || name, true) AS st"
                        + "   WHERE t.isdir AND t.path NOT IN (" + String.join(", ", EMPTIED.stream().map(d -> "'" + d + "'").toList()) + "))"
                        + " SELECT path, size, isdir FROM tree WHERE size IS NOT NULL ORDER BY path")) {
            while (r.next()) {
                Entry e = new Entry(r.getString(1), r.getLong(2), r.getBoolean(3));
                String name = e.path().substring(e.path().lastIndexOf('/') + 1);
                if (!SKIPPED.contains(name) && !name.startsWith("pgsql_tmp")) {
                    entries.add(e);
                }
            }
        }
        return entries;
    }

    private static TarArchiveEntry directory(String path) {
        TarArchiveEntry d = new TarArchiveEntry(path);
        d.setMode(040700);
        return d;
    }

    private static void copy(Connection c, Entry e, TarArchiveOutputStream out) throws SQLException, IOException {
        if (e.directory()) {
            out.putArchiveEntry(directory(e.path() + "/"));
            out.closeArchiveEntry();
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_read_binary_file(?, ?, ?, true)")) {
            byte[] first = read(ps, e.path(), 0, (int) Math.min(CHUNK, e.size()));
            if (first == null) {
                return; // gone since the listing (a dropped table, a removed temporary file)
            }
            TarArchiveEntry entry = new TarArchiveEntry(e.path());
            entry.setSize(e.size());
            entry.setMode(0600);
            out.putArchiveEntry(entry);
            long written = 0;
            byte[] chunk = first;
            while (chunk != null && chunk.length > 0 && written < e.size()) {
                int n = (int) Math.min(chunk.length, e.size() - written);
                out.write(chunk, 0, n);
                written += n;
                if (written < e.size()) {
                    chunk = read(ps, e.path(), written, (int) Math.min(CHUNK, e.size() - written));
                }
            }
            // shrank while read: zeros up to the listed size, which replaying the WAL sets right
            byte[] zeros = new byte[8192];
            while (written < e.size()) {
                int n = (int) Math.min(zeros.length, e.size() - written);
                out.write(zeros, 0, n);
                written += n;
            }
            out.closeArchiveEntry();
        }
    }

    private static byte[] read(PreparedStatement ps, String path, long offset, int length) throws SQLException {
        ps.setString(1, path);
        ps.setLong(2, offset);
        ps.setLong(3, length);
        try (ResultSet r = ps.executeQuery()) {
            r.next();
            return r.getBytes(1);
        }
    }

    /** The complete base backups in {@code store}, oldest first. */
    static List<Info> list(ArchiveStore store, Path work) throws IOException {
        List<Info> infos = new ArrayList<>();
        for (String key : store.list(PREFIX)) {
            if (key.endsWith("/" + MARKER)) {
                Path tmp = Files.createTempFile(work, "backup", ".properties");
                try {
                    store.get(key, tmp);
                    Properties p = new Properties();
                    try (var in = Files.newInputStream(tmp)) {
                        p.load(in);
                    }
                    infos.add(Info.of(p));
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
        infos.sort((a, b) -> a.stopped().compareTo(b.stopped()));
        return infos;
    }
}
