package io.ironbell.launcher.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the newest {@code keep} complete base backups and the WAL from the oldest of them on;
 * everything older goes, except timeline history files (small, and what recovery needs to follow
 * a timeline). An incomplete base backup (no marker) older than the newest complete one goes too.
 */
final class Retention {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private Retention() {
    }

    static void apply(ArchiveStore store, Path work, int keep) throws IOException {
        List<BaseBackup.Info> all = BaseBackup.list(store, work);
        if (all.size() <= keep) {
            return;
        }
        List<BaseBackup.Info> kept = all.subList(all.size() - keep, all.size());
        String oldestKept = kept.get(0).id();
        String horizon = WalFiles.position(kept.get(0).startWal());
        int bases = 0;
        for (String key : store.list(BaseBackup.PREFIX)) {
            String id = key.substring(BaseBackup.PREFIX.length(), key.indexOf('/', BaseBackup.PREFIX.length()));
            if (id.compareTo(oldestKept) < 0) {
                store.delete(key);
                bases++;
            }
        }
        int wal = 0;
        for (String key : store.list(WalShipper.PREFIX)) {
            String position = WalFiles.position(key.substring(WalShipper.PREFIX.length()));
            if (position != null && position.compareTo(horizon) < 0) {
                store.delete(key);
                wal++;
            }
        }
        LOG.info("archive: retention kept {} base backups (from {}), removed {} base backup file(s) and {} WAL file(s)", keep,
                oldestKept, bases, wal);
    }
}
