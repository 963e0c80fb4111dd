package io.ironbell.store.internal;

import io.ironbell.api.store.SnapshotService;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link SnapshotService} on PostgreSQL: {@link Snapshot}'s format, then a resync of every listener. */
@Component(service = SnapshotService.class)
public final class PgSnapshots implements SnapshotService {

    private final Database db;

    @Activate
    public PgSnapshots(@Reference Database db) {
        this.db = db;
    }

    @Override
    public Map<String, Long> backup(OutputStream out) throws StoreException, IOException {
        try (Connection c = db.connection()) {
            // the snapshot's gzip stream closes what it writes to; the caller's stream stays open
            return Snapshot.backup(c, new Snapshot.NonClosing(out));
        } catch (SQLException e) {
            throw new StoreException(Reason.UNAVAILABLE, "database: " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, Long> restore(InputStream in) throws StoreException, IOException {
        Map<String, Long> tables;
        try (Connection c = db.connection()) {
            tables = Snapshot.restore(c, in, db.migrations());
        } catch (Snapshot.NotEmptyException e) {
            throw new StoreException(Reason.CONFLICT, e.getMessage());
        } catch (IllegalArgumentException | java.util.zip.ZipException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new StoreException(Reason.INVALID, "not an Ironbell backup: " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new StoreException(Reason.UNAVAILABLE, "database: " + e.getMessage(), e);
        }
        db.resyncAll();
        return tables;
    }
}
