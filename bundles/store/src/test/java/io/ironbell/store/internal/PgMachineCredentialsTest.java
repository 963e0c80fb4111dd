package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.auth.MachineCredentials;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import io.ironbell.testing.MemoryHardwareLookup;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Boot tokens and machine sessions on a real PostgreSQL, with two instances sharing it as two servers would. */
class PgMachineCredentialsTest {

    private static final InetAddress NODE = InetAddress.getLoopbackAddress();

    private static MemoryHardwareLookup hardware() throws Exception {
        return new MemoryHardwareLookup(Json.mapper().readValue("{\"id\":\"node-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":"
                + "\"52:54:00:12:34:56\",\"ip\":{\"address\":\"127.0.0.1\"}}}]}}", Hardware.class),
                Json.mapper().readValue("{\"id\":\"node-2\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":"
                        + "\"52:54:00:12:34:57\",\"ip\":{\"address\":\"10.250.0.20\"}}}]}}", Hardware.class));
    }

    @Test
    void aBootTokenIsExchangedOnceAnywhereAndANewBootEndsTheOldSession() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of());
            MemoryHardwareLookup hw = hardware();
            PgMachineCredentials one = new PgMachineCredentials(db, hw);
            PgMachineCredentials two = new PgMachineCredentials(db, hw);

            String boot = one.issueBootToken("node-1");
            assertTrue(boot.matches("ibb_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}"), boot);
            assertNotEquals(boot, one.issueBootToken("node-1"), "a new nonce each time");

            // issued by one server, exchanged at the other: they share the key through the database
            MachineCredentials.Session s = two.exchange(boot, NODE);
            assertEquals("node-1", s.hardwareId());
            assertTrue(s.token().matches("ibm_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{43}"), s.token());
            assertEquals("node-1", one.authenticate(s.token()).orElseThrow().hardwareId());

            MachineCredentials.Refused replay = assertThrows(MachineCredentials.Refused.class, () -> one.exchange(boot, NODE));
            assertTrue(replay.getMessage().contains("used already"), replay.getMessage());

            // the session's secret is not in the database
            try (Connection c = t.connect(); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SELECT count(*) FROM machine_session WHERE position('" + s.token().substring(27)
                         + "' IN row_to_json(machine_session)::text) > 0")) {
                r.next();
                assertEquals(0, r.getInt(1));
            }

            // a fresh boot token (anyone with the machine's address can fetch its boot script) is refused while
            // the session is in use, and not burned: the machine itself may use it once the session went quiet
            String fresh = one.issueBootToken("node-1");
            MachineCredentials.Refused busy = assertThrows(MachineCredentials.Refused.class, () -> two.exchange(fresh, NODE));
            assertTrue(busy.getMessage().contains("has a session in use"), busy.getMessage());
            try (Connection c = t.connect(); Statement st = c.createStatement()) {
                st.execute("UPDATE machine_session SET last_used_at = now() - interval '2 minutes'");
            }
            // the next boot's exchange revokes this boot's session (on every server: the cache is one server's)
            MachineCredentials.Session next = one.exchange(fresh, NODE);
            assertTrue(one.authenticate(s.token()).isEmpty(), "the earlier boot's session ended");
            assertTrue(two.authenticate(next.token()).isPresent());
            String tampered = oneCharacterOff(next.token());
            assertTrue(one.authenticate(tampered).isEmpty(), "one character off");
        }
    }

    @Test
    void forgedExpiredMisaddressedAndUnknownTokensAreRefusedWithTheReason() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database db = t.start(Map.of());
            PgMachineCredentials creds = new PgMachineCredentials(db, hardware());
            String boot = creds.issueBootToken("node-1");
            String forged = oneCharacterOff(boot);
            assertTrue(assertThrows(MachineCredentials.Refused.class, () -> creds.exchange(forged, NODE)).getMessage()
                    .contains("not issued by this installation"));
            assertTrue(assertThrows(MachineCredentials.Refused.class, () -> creds.exchange("hello", NODE)).getMessage()
                    .contains("not a boot token"));
            // node-2's token, presented from node-1's address: the address is the second condition
            String node2 = creds.issueBootToken("node-2");
            assertTrue(assertThrows(MachineCredentials.Refused.class, () -> creds.exchange(node2, NODE)).getMessage()
                    .contains("is not an address of hardware node-2"));
            // refused there, the token still works for node-2 itself: a wrong caller cannot burn it
            assertEquals("node-2", creds.exchange(node2, InetAddress.getByName("10.250.0.20")).hardwareId());
            assertTrue(assertThrows(MachineCredentials.Refused.class, () -> creds.exchange(creds.issueBootToken("gone"), NODE))
                    .getMessage().contains("no hardware gone"));

            MachineCredentials.Session s = creds.exchange(boot, NODE);
            try (Connection c = t.connect(); Statement st = c.createStatement()) {
                st.execute("UPDATE machine_session SET expires_at = now() - interval '1 second'");
            }
            PgMachineCredentials fresh = new PgMachineCredentials(db, hardware());
            assertTrue(fresh.authenticate(s.token()).isEmpty(), "expired");
            try (Connection c = t.connect(); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SELECT count(*) FROM server_secret")) {
                r.next();
                assertEquals(1, r.getInt(1), "one key, however many instances started");
            }
        }
    }

    /**
     * The token with its last but one character changed: the last character of unpadded base64
     * carries padding bits too, so changing it may decode to the same bytes (a flaky forgery).
     */
    private static String oneCharacterOff(String token) {
        int i = token.length() - 2;
        return token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A') + token.substring(i + 1);
    }
}
