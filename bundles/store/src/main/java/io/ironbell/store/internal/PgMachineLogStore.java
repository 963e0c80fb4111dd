package io.ironbell.store.internal;

import io.ironbell.api.log.LogLine;
import io.ironbell.api.log.MachineLogStore;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Each machine's log, trimmed after every append to the newest storage.log.maxLinesPerMachine lines. */
@Component(service = MachineLogStore.class)
public final class PgMachineLogStore implements MachineLogStore {

    /** Longest line kept; the rest is cut, so that one chatty process cannot fill the database. */
    static final int MAX_LINE_CHARS = 8192;
    /** Longest source kept: an action's name (templates allow 199 characters), {@code worker} or {@code syslog}. */
    static final int MAX_SOURCE_CHARS = 200;
    /** Longest severity kept: syslog's names are at most 7 characters ({@code warning}). */
    static final int MAX_SEVERITY_CHARS = 16;

    private final Database db;

    @Activate
    public PgMachineLogStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public void append(List<LogLine> lines) throws StoreException {
        if (lines.isEmpty()) {
            return;
        }
        int keep = db.config().log_maxLinesPerMachine();
        db.tx(s -> {
            Mappers.LogSql sql = s.getMapper(Mappers.LogSql.class);
            Set<String> machines = new LinkedHashSet<>();
            for (LogLine l : lines) {
                if (l.machine() == null || l.text() == null || l.source() == null) {
                    throw new StoreException(Reason.INVALID, "a log line needs a machine, a source and text");
                }
                // every field comes from the machine, not only the text
                LogLine cut = new LogLine(0, l.machine(), l.at(), cut(l.source(), MAX_SOURCE_CHARS), cut(l.severity(), MAX_SEVERITY_CHARS),
                        cut(l.text(), MAX_LINE_CHARS));
                sql.insert(cut, Rows.timestamp(l.at() == null ? Instant.now() : l.at()));
                machines.add(l.machine());
            }
            for (String m : machines) {
                sql.trim(m, keep);
            }
            return null;
        });
    }

    @Override
    public List<LogLine> after(String machine, long afterSequence, int limit) throws StoreException {
        return lines(db.tx(s -> s.getMapper(Mappers.LogSql.class).after(machine, afterSequence, limit)));
    }

    @Override
    public List<LogLine> tail(String machine, int limit) throws StoreException {
        return lines(db.tx(s -> s.getMapper(Mappers.LogSql.class).tail(machine, limit)));
    }

    /** The first {@code max} characters, or one fewer rather than half a surrogate pair. */
    private static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        return s.substring(0, Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max);
    }

    private static List<LogLine> lines(List<Map<String, Object>> rows) {
        List<LogLine> out = new ArrayList<>(rows.size());
        for (Map<String, Object> r : rows) {
            out.add(new LogLine(Rows.longValue(r, "seq"), Rows.str(r, "machine"), Rows.instant(r, "at"), Rows.str(r, "source"),
                    Rows.str(r, "severity"), Rows.str(r, "text")));
        }
        return out;
    }
}
