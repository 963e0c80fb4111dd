package io.ironbell.api.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link HardwareLookup#find}: which of the three lookups a key reaches, in which order. */
class HardwareLookupTest {

    /** Records each lookup it is asked for and finds only what it was given. */
    private record Recording(String mac, String ip, String id, List<String> asked) implements HardwareLookup {

        Recording(String mac, String ip, String id) {
            this(mac, ip, id, new ArrayList<>());
        }

        private Optional<Hardware> hit(boolean found) {
            return found ? Optional.of(new Hardware(id, null, null, null)) : Optional.empty();
        }

        @Override
        public Optional<Hardware> byMac(MacAddress m) {
            asked.add("mac " + m);
            return hit(m.toString().equals(mac));
        }

        @Override
        public Optional<Hardware> byIp(InetAddress a) {
            asked.add("ip " + a.getHostAddress());
            return hit(a.getHostAddress().equals(ip));
        }

        @Override
        public Optional<Hardware> byId(String i) {
            asked.add("id " + i);
            return hit(i.equals(id));
        }
    }

    @Test
    void aMacThenAnAddressThenAnId() {
        Recording r = new Recording("52:54:00:12:34:56", "10.0.0.7", "node-7");
        assertTrue(r.find("52-54-00-12-34-56").isPresent());
        assertTrue(r.find(" 10.0.0.7 ").isPresent(), "trimmed");
        assertTrue(r.find("node-7").isPresent());
        assertEquals(List.of("mac 52:54:00:12:34:56", "ip 10.0.0.7", "id node-7"), r.asked());
    }

    @Test
    void aKeyThatLooksLikeAnAddressButIsAnIdIsFoundById() {
        Recording r = new Recording("52:54:00:12:34:56", "10.0.0.7", "10.0.0.8");
        assertTrue(r.find("10.0.0.8").isPresent());
        assertEquals(List.of("ip 10.0.0.8", "id 10.0.0.8"), r.asked());
        Recording hexId = new Recording(null, null, "525400123456");
        assertTrue(hexId.find("525400123456").isPresent(), "an id that parses as a MAC is still found by id");
    }

    @Test
    void namesAreNeverResolvedAndBlankFindsNothing() {
        Recording r = new Recording(null, null, "localhost");
        assertTrue(r.find("localhost").isPresent());
        assertEquals(List.of("id localhost"), r.asked(), "a host name goes to byId only, never to DNS");
        r.asked().clear();
        r.find("fe80::1");
        assertEquals(List.of("ip fe80:0:0:0:0:0:0:1", "id fe80::1"), r.asked());
        r.asked().clear();
        r.find("node:7");
        assertEquals(List.of("id node:7"), r.asked(), "a colon that makes no IPv6 address is an id");
        assertTrue(r.find("  ").isEmpty());
        assertTrue(r.find(null).isEmpty());
    }
}
