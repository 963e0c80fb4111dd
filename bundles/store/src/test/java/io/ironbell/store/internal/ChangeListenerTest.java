package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.store.ChangeListener;
import io.ironbell.testing.Await;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The one path of change notifications: a {@link ChangeListener} hears changes, and when its
 * notification connection was lost (notifications may have been missed) it is told to resync,
 * as the store's own hardware index is.
 */
class ChangeListenerTest {

    private static final class Recording implements ChangeListener {
        final List<String> changes = new CopyOnWriteArrayList<>();
        final AtomicInteger resyncs = new AtomicInteger();

        @Override
        public void changed(String kind, String id) {
            changes.add(kind + ":" + id);
        }

        @Override
        public void resync() {
            resyncs.incrementAndGet();
        }
    }

    private static String json(Object o) {
        try {
            return io.ironbell.api.json.Json.mapper().writeValueAsString(o);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aListenerHearsChangesAndResyncsAfterItsConnectionWasLost() throws Exception {
        try (TestDatabase database = new TestDatabase()) {
            Database db = database.start(Map.of());
            PgHardwareStore hardware = new PgHardwareStore(db);
            Recording listener = new Recording();
            db.addListener(listener);
            try {
                hardware.push(Fixtures.hardware("hw-1", 0x525400000001L, "10.0.0.1"));
                Await.until("the change to reach the listener", Duration.ofSeconds(10),
                        () -> listener.changes.contains("hardware:hw-1") ? true : null);
                int before = listener.resyncs.get();

                // the database drops the notification connection (a restart, a failover, a network cut)
                try (Connection c = database.connect();
                     PreparedStatement q = c.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             + " WHERE datname = ? AND application_name = 'ironbell-listen'")) {
                    q.setString(1, database.name);
                    try (ResultSet r = q.executeQuery()) {
                        assertTrue(r.next() && r.getBoolean(1), "the listening connection was found and ended");
                    }
                }
                // a change while nobody listens is never notified...
                try (Connection c = database.connect()) {
                    c.createStatement().execute("UPDATE hardware SET data = jsonb_set(data, '{metadata}', '{\"instance\":{\"hostname\":\"renamed\"}}') WHERE id = 'hw-1'");
                }
                // ...so after reconnecting the store tells every listener to resync, and its own index reloads
                Await.until("a resync after the reconnect", Duration.ofSeconds(30), () -> listener.resyncs.get() > before ? true : null);
                Await.until("the index to hold the change made while nobody listened", Duration.ofSeconds(10),
                        () -> hardware.byId("hw-1").map(ChangeListenerTest::json).orElse("").contains("renamed") ? true : null);

                db.removeListener(listener);
                int heard = listener.changes.size();
                hardware.push(Fixtures.hardware("hw-2", 0x525400000002L, "10.0.0.2"));
                Await.until("hw-2 in the index", Duration.ofSeconds(10), () -> hardware.byId("hw-2").isPresent() ? true : null);
                assertEquals(heard, listener.changes.size(), "a removed listener hears nothing");
            } finally {
                hardware.deactivate();
                db.deactivate();
            }
        }
    }
}
