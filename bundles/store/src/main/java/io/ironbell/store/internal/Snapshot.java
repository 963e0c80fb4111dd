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

    /** 2: each table's line names its columns, so that its rows load into a newer schema's table. */
    static final int FORMAT_VERSION = 2;

    /** Tables in an order that satisfies their foreign keys. */
    static final List<String> TABLES = List.of("hardware", "hardware_interface", "template", "template_revision",
            "workflow", "action_state", "workflow_event", "machine_log", "lease", "api_token", "audit_log", "action_plugin",
            "manifest", "bmc_machine", "bmc_job", "bmc_event", "dhcp_pool", "dhcp_lease", "inventory", "inventory_history",
            "discovered_machine", "enrollment_rule", "discovery_event");

    /** Sequences and the column they number. */
    static final Map<String, String> SEQUENCES = Map.of("workflow_event", "seq", "machine_log", "seq", "audit_log", "seq",
            "inventory_history", "id", "discovery_event", "id");

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
            header.put("formatVersion", FORMAT_VERSION);
            header.put("schemaVersion", Migrations.current(c));
            header.put("createdAt", Instant.now().toString());
            // the tables this schema version has (an older database lacks the newer ones)
            List<String> tables = new java.util.ArrayList<>();
            for (String table : TABLES) {
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
                    r.next();
                    if (r.getBoolean(1)) {
                        tables.add(table);
                    }
                }
            }
            header.putPOJO("tables", tables);
            line(gz, header.toString());
            for (String table : tables) {
                long rows = count(c, table);
                List<String> columns = columns(c, table);
                ObjectNode t = Json.mapper().createObjectNode();
                t.put("table", table);
                t.put("rows", rows);
                t.putPOJO("columns", columns);
                line(gz, t.toString());
                long copied = copy.copyOut("COPY " + table + " (" + String.join(", ", columns) + ") TO STDOUT", new NonClosing(gz));
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
                UntilTerminator rows = new UntilTerminator(reader);
                List<String> columns = restoredColumns(c, table, t, rows);
                long loaded = copy.copyIn("COPY " + table + " (" + String.join(", ", columns) + ") FROM STDIN", rows);
                if (loaded != t.path("rows").asLong()) {
                    throw new IllegalArgumentException("table " + table + ": backup says " + t.path("rows").asLong()
                            + " rows, found " + loaded + " (truncated file?)");
                }
                counts.put(table, loaded);
            }
            List<String> promised = new java.util.ArrayList<>();
            header.path("tables").forEach(n -> promised.add(n.asText()));
            if (!counts.keySet().containsAll(promised) || promised.isEmpty()) {
                throw new IllegalArgumentException("backup is truncated: it holds " + counts.keySet() + " of " + promised);
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

    /** The table's columns in their order, as this schema has them. */
    static List<String> columns(Connection c, String table) throws SQLException {
        List<String> out = new java.util.ArrayList<>();
        try (java.sql.PreparedStatement q = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            q.setString(1, table);
            try (ResultSet r = q.executeQuery()) {
                while (r.next()) {
                    out.add("\"" + r.getString(1).replace("\"", "\"\"") + "\"");
                }
            }
        }
        return out;
    }

    /**
     * The columns a backup's rows of {@code table} fill: named in the backup (format 2), else (a
     * format-1 backup, from before they were named) as many of the table's first columns as its
     * first row has fields: migrations only ever add columns at the end, so an older schema's
     * columns are a prefix of a newer one's.
     */
    private static List<String> restoredColumns(Connection c, String table, JsonNode header, UntilTerminator rows)
            throws SQLException, IOException {
        List<String> current = columns(c, table);
        if (header.has("columns")) {
            List<String> named = new java.util.ArrayList<>();
            for (JsonNode n : header.get("columns")) {
                named.add(n.asText());
            }
            if (!current.containsAll(named)) {
                throw new IllegalArgumentException("table " + table + ": the backup has columns " + named + " that this schema lacks");
            }
            return named;
        }
        String first = rows.peekLine();
        if (first == null) {
            return current;
        }
        int fields = first.split("\t", -1).length;
        if (fields > current.size()) {
            throw new IllegalArgumentException("table " + table + ": the backup's rows have " + fields + " fields, the table "
                    + current.size() + " columns");
        }
        return current.subList(0, fields);
    }

    private static long count(Connection c, String table) throws SQLException {
        // a backup of an older schema is loaded before the migrations that add the newer tables
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT to_regclass('" + table + "') IS NULL")) {
            r.next();
            if (r.getBoolean(1)) {
                return 0;
            }
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void line(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    /** A stream that its writer may close without closing what it writes to (CopyManager does, and so does gzip). */
    static final class NonClosing extends java.io.FilterOutputStream {
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

        /** The table's first row, without consuming it, or null when the table has none. */
        String peekLine() throws IOException {
            if (pending == null) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("backup ends inside a table");
                }
                if (line.equals("\\.")) {
                    done = true;
                    return null;
                }
                pending = line + "\n";
                pos = 0;
            }
            return done ? null : pending.substring(0, pending.length() - 1);
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
