package io.ironbell.store.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * A consistent copy of all state, and its way back into an empty database.
 *
 * <p>The format is gzip'd text: a JSON header line, then for every table a JSON line naming
 * it and its row count, its rows in PostgreSQL's COPY text format, and a {@code \.} line.
 * Backup reads every table in one REPEATABLE READ READ ONLY transaction, so the copy is one
 * instant's state while writers go on. Restore brings an empty database to the backup's schema
 * version, loads every table in one transaction, sets the sequences, then migrates to the newest
 * version: a backup from an older Ironbell restores into a newer one.
 */
final class Snapshot {

    static final String FORMAT = "ironbell-backup";

    /** Tables in an order that satisfies their foreign keys. */
    static final List<String> TABLES = List.of("hardware", "hardware_interface", "template", "template_revision",
            "workflow", "action_state", "workflow_event", "machine_log", "lease");

    /** Sequences and the column they number. */
    static final Map<String, String> SEQUENCES = Map.of("workflow_event", "seq", "machine_log", "seq");

    private Snapshot() {
    }

    /** A restore into a database that holds data: refused, nothing changed. */
    static final class NotEmptyException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotEmptyException(String message) {
            super(message);
        }
    }

    /** Writes the backup; returns rows per table. */
    static Map<String, Long> backup(Connection c, OutputStream out) throws SQLException, IOException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        Map<String, Long> counts = new LinkedHashMap<>();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            ObjectNode header = Json.mapper().createObjectNode();
            header.put("format", FORMAT);
            header.put("formatVersion", 1);
            header.put("schemaVersion", Migrations.current(c));
            header.put("createdAt", Instant.now().toString());
            header.putPOJO("tables", TABLES);
            line(gz, header.toString());
            for (String table : TABLES) {
                long rows = count(c, table);
                ObjectNode t = Json.mapper().createObjectNode();
                t.put("table", table);
                t.put("rows", rows);
                line(gz, t.toString());
                long copied = copy.copyOut("COPY " + table + " TO STDOUT", new NonClosing(gz));
                if (copied != rows) {
                    throw new SQLException("table " + table + " changed during a REPEATABLE READ backup");
                }
                line(gz, "\\.");
                counts.put(table, rows);
            }
            c.commit();
        } finally {
            c.setReadOnly(false);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            c.setAutoCommit(autoCommit);
        }
        return counts;
    }

    /**
     * Loads a backup into a database with no Ironbell data.
     *
     * @return rows per table
     * @throws IllegalArgumentException when the input is not a complete backup
     * @throws NotEmptyException        when the database holds data
     */
    static Map<String, Long> restore(Connection c, InputStream in, Migrations migrations) throws SQLException, IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(in, 1 << 16), StandardCharsets.UTF_8));
        JsonNode header = Json.mapper().readTree(reader.readLine());
        if (header == null || !FORMAT.equals(header.path("format").asText())) {
            throw new IllegalArgumentException("not an Ironbell backup");
        }
        int schema = header.path("schemaVersion").asInt();
        if (schema < 1 || schema > migrations.latest()) {
            throw new IllegalArgumentException("backup has schema version " + schema + "; this Ironbell knows 1 to " + migrations.latest());
        }
        migrations.migrate(c, schema);
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            for (String table : TABLES) {
                if (count(c, table) > 0) {
                    throw new NotEmptyException("the database is not empty: table " + table + " has rows; restore needs an empty database");
                }
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                JsonNode t = Json.mapper().readTree(line);
                String table = t.path("table").asText();
                if (!TABLES.contains(table)) {
                    throw new IllegalArgumentException("backup names an unknown table '" + table + "'");
                }
                long loaded = copy.copyIn("COPY " + table + " FROM STDIN", new UntilTerminator(reader));
                if (loaded != t.path("rows").asLong()) {
                    throw new IllegalArgumentException("table " + table + ": backup says " + t.path("rows").asLong()
                            + " rows, found " + loaded + " (truncated file?)");
                }
                counts.put(table, loaded);
            }
            if (counts.size() != TABLES.size()) {
                throw new IllegalArgumentException("backup is truncated: it holds " + counts.keySet());
            }
            try (Statement s = c.createStatement()) {
                for (Map.Entry<String, String> e : SEQUENCES.entrySet()) {
                    s.execute("SELECT setval(pg_get_serial_sequence('" + e.getKey() + "', '" + e.getValue() + "'), "
                            + "coalesce((SELECT max(" + e.getValue() + ") FROM " + e.getKey() + "), 0) + 1, false)");
                }
            }
            c.commit();
        } catch (SQLException | IOException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
        migrations.migrate(c);
        return counts;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void line(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    /** Lets CopyManager write into the gzip stream without closing it. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Feeds COPY the lines of one table: up to, not including, the {@code \.} line. */
    private static final class UntilTerminator extends Reader {
        private final BufferedReader in;
        private String pending;
        private int pos;
        private boolean done;

        UntilTerminator(BufferedReader in) {
            this.in = in;
        }

        @Override
        public int read(char[] buf, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (pending == null || pos == pending.length()) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("backup ends inside a table");
                }
                if (line.equals("\\.")) {
                    done = true;
                    return -1;
                }
                pending = line + "\n";
                pos = 0;
            }
            int n = Math.min(len, pending.length() - pos);
            pending.getChars(pos, pos + n, buf, off);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            // the outer reader stays open for the next table
        }
    }
}
