package io.ironbell.syslog.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both syslog formats as real senders write them, and everything else refused without harm. */
class SyslogMessageTest {

    private static SyslogMessage parse(String s) throws Exception {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return SyslogMessage.parse(b, b.length);
    }

    @Test
    void rfc5424() throws Exception {
        SyslogMessage m = parse("<165>1 2026-11-22T07:40:01.123+01:00 node-1 worker 812 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\]lication\"] \uFEFFimage written\n");
        assertEquals(20, m.facility());
        assertEquals("notice", m.severityName());
        assertEquals(Instant.parse("2026-11-22T06:40:01.123Z"), m.timestamp());
        assertEquals("node-1", m.host());
        assertEquals("worker: image written", m.line());
        SyslogMessage bare = parse("<14>1 - - - - - -");
        assertEquals("", bare.text());
        assertNull(bare.app());
        assertEquals("info", bare.severityName());
    }

    @Test
    void rfc3164() throws Exception {
        SyslogMessage m = parse("<13>Nov 22 07:40:01 node-1 root: hello from logger");
        assertEquals(1, m.facility());
        assertEquals("notice", m.severityName());
        assertEquals("node-1", m.host());
        assertEquals("root: hello from logger", m.line());
        assertEquals("sshd[812]: Accepted publickey", parse("<38>Nov  2 07:40:01 node-1 sshd[812]: Accepted publickey").line());
        assertEquals("kernel: eth0 up", parse("<6>kernel: eth0 up").line(), "no timestamp, no host (busybox klogd)");
        assertEquals("just text", parse("<191>just text").text());
    }

    @Test
    void anythingElseIsRefusedAndNothingElseIsThrown() {
        for (String bad : new String[] {"", "<", "<>x", "<192>too big", "<1234>x", "no priority", "<13", "<1x>y", "<165>1 2026-11-22T07:40:01Z host"}) {
            assertThrows(SyslogMessage.MalformedException.class, () -> parse(bad), bad);
        }
        Random random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            byte[] b = new byte[random.nextInt(300)];
            random.nextBytes(b);
            if (b.length > 0 && random.nextBoolean()) {
                b[0] = '<';
            }
            try {
                SyslogMessage.parse(b, b.length);
            } catch (SyslogMessage.MalformedException expected) {
                // fine: refused
            }
        }
    }
}
