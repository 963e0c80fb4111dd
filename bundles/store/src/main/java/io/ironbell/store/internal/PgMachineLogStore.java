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
                String text = l.text().length() > MAX_LINE_CHARS ? l.text().substring(0, MAX_LINE_CHARS) : l.text();
                LogLine cut = new LogLine(0, l.machine(), l.at(), l.source(), l.severity(), text);
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

    private static List<LogLine> lines(List<Map<String, Object>> rows) {
        List<LogLine> out = new ArrayList<>(rows.size());
        for (Map<String, Object> r : rows) {
            out.add(new LogLine(Rows.longValue(r, "seq"), Rows.str(r, "machine"), Rows.instant(r, "at"), Rows.str(r, "source"),
                    Rows.str(r, "severity"), Rows.str(r, "text")));
        }
        return out;
    }
}
