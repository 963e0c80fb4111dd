package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.auth.ApiToken;
import io.ironbell.api.auth.AuditEntry;
import io.ironbell.api.auth.Role;
import io.ironbell.api.auth.TokenStore;
import io.ironbell.api.store.StoreException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Named tokens and the audit log on a real PostgreSQL. */
class PgTokenStoreTest {

    @Test
    void tokensAreCreatedOnceCheckedByHashRevokedAndExpire() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of());
            PgTokenStore tokens = new PgTokenStore(db);
            TokenStore.Created ci = tokens.create("ci", Role.OPERATOR, null, "admin");
            assertTrue(ci.secret().matches("ib_[a-z0-9]{12}_[A-Za-z0-9_-]{43}"), ci.secret());
            assertEquals(Role.OPERATOR, tokens.authenticate(ci.secret()).orElseThrow().role());
            assertEquals("ci", tokens.authenticate(ci.secret()).orElseThrow().name());
            // the secret is nowhere in the database
            try (Connection c = t.connect(); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT count(*) FROM api_token WHERE position('" + ci.secret().substring(16) + "' IN "
                         + "row_to_json(api_token)::text) > 0")) {
                r.next();
                assertEquals(0, r.getInt(1), "only a hash is stored");
            }
            String wrong = ci.secret().substring(0, ci.secret().length() - 1) + (ci.secret().endsWith("A") ? "B" : "A");
            assertTrue(tokens.authenticate(wrong).isEmpty(), "one character off");
            assertTrue(tokens.authenticate("ib_000000000000_" + ci.secret().substring(16)).isEmpty(), "another id");
            assertTrue(tokens.authenticate("not a token").isEmpty());

            assertEquals(StoreException.Reason.CONFLICT,
                    assertThrows(StoreException.class, () -> tokens.create("ci", Role.VIEWER, null, "admin")).reason());
            assertEquals(StoreException.Reason.INVALID,
                    assertThrows(StoreException.class, () -> tokens.create("bad name", Role.VIEWER, null, "admin")).reason());
            assertEquals(StoreException.Reason.INVALID, assertThrows(StoreException.class,
                    () -> tokens.create("past", Role.VIEWER, Instant.now().minusSeconds(1), "admin")).reason());

            TokenStore.Created brief = tokens.create("brief", Role.VIEWER, Instant.now().plusSeconds(2), "admin");
            assertTrue(tokens.authenticate(brief.secret()).isPresent());
            try (Connection c = t.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE name = 'brief'");
            }
            assertTrue(tokens.authenticate(brief.secret()).isEmpty(), "expired");

            ApiToken revoked = tokens.revoke("ci");
            assertNotNull(revoked.revokedAt());
            assertTrue(tokens.authenticate(ci.secret()).isEmpty(), "revoked");
            assertEquals(revoked.revokedAt(), tokens.revoke(revoked.id()).revokedAt(), "revoking again changes nothing");
            assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> tokens.revoke("nobody")).reason());

            List<ApiToken> all = tokens.list();
            assertEquals(List.of("brief", "ci"), all.stream().map(ApiToken::name).toList());
            assertNotNull(all.get(1).lastUsedAt(), "use is recorded (to the minute)");
            assertFalse(all.get(1).valid(Instant.now()));
            db.deactivate();
        }
    }

    @Test
    void theAuditLogKeepsWhoWhatWhenAndWhereForItsRetention() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of("audit.retentionDays", 30));
            PgAuditLog log = new PgAuditLog(db);
            log.record(new AuditEntry(0, null, "admin", Role.ADMIN, "127.0.0.1", "hardware.create", "node-7", Map.of()));
            log.record(new AuditEntry(0, null, "ci", Role.OPERATOR, "10.0.0.5", "workflow.cancel", "wf-1", Map.of("state", "RUNNING")));
            List<AuditEntry> all = log.after(0, 100);
            assertEquals(2, all.size());
            AuditEntry second = all.get(1);
            assertEquals("ci", second.actor());
            assertEquals(Role.OPERATOR, second.role());
            assertEquals("10.0.0.5", second.source());
            assertEquals("workflow.cancel", second.action());
            assertEquals("wf-1", second.target());
            assertEquals(Map.of("state", "RUNNING"), second.detail());
            assertNotNull(second.at());
            assertEquals(List.of(second), log.after(all.get(0).sequence(), 100));
            try (Connection c = t.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE audit_log SET at = now() - interval '31 days' WHERE actor = 'admin'");
            }
            assertEquals(1, log.trim(), "older than the retention");
            assertEquals(List.of("ci"), log.after(0, 100).stream().map(AuditEntry::actor).toList());
            log.deactivate();
            db.deactivate();
        }
    }
}
