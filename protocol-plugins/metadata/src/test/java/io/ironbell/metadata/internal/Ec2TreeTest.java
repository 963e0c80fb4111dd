package io.ironbell.metadata.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.json.Json;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The EC2 tree of Tinkerbell's sample hardware record, and the address blocks of trusted proxies. */
class Ec2TreeTest {

    private static Hardware sample() throws Exception {
        try (InputStream in = Ec2TreeTest.class.getResourceAsStream("/tink-hardware.json")) {
            return Json.mapper().readValue(in, Hardware.class);
        }
    }

    @Test
    void theSampleRecordBecomesEc2MetaData() throws Exception {
        Hardware hw = sample();
        Map<String, Object> md = Ec2Tree.metaData(hw, hw.interfaces().get(0));
        assertEquals("i-0eba0bf8", md.get("instance-id"));
        assertEquals("node-1", md.get("hostname"));
        assertEquals("node-1", md.get("local-hostname"));
        assertEquals("10.250.0.10", md.get("local-ipv4"));
        assertEquals("52:54:00:12:34:56", md.get("mac"));
        assertEquals(Map.of("availability-zone", "onprem"), md.get("placement"));
        assertNull(md.get("public-ipv4"), "the sample has no public address: a 404, as on EC2");
        String listing = Ec2Tree.listing(md);
        assertTrue(listing.contains("\nplacement/\n") && listing.contains("\npublic-keys/") && listing.contains("\noperating-system/"), listing);
        assertFalse(listing.contains("public-ipv4"));
        @SuppressWarnings("unchecked")
        Map<String, Object> keys = (Map<String, Object>) md.get("public-keys");
        assertEquals("0=operator@example", Ec2Tree.listing(keys), "EC2's 0=name, bare");
        @SuppressWarnings("unchecked")
        Map<String, Object> key0 = (Map<String, Object>) Ec2Tree.child(keys, "0");
        assertEquals("openssh-key", Ec2Tree.listing(key0));
        assertEquals("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx operator@example", key0.get("openssh-key"));
        @SuppressWarnings("unchecked")
        Map<String, Object> os = (Map<String, Object>) md.get("operating-system");
        assertEquals("ubuntu_22_04", os.get("slug"));
        assertEquals("22.04", os.get("image-tag"));
    }

    @Test
    void trustedProxyBlocks() throws Exception {
        List<Cidr> blocks = Cidr.parseList("10.0.0.0/8, 192.0.2.7 ,fd00::/8");
        assertTrue(Cidr.any(blocks, InetAddress.getByName("10.200.3.4")));
        assertTrue(Cidr.any(blocks, InetAddress.getByName("192.0.2.7")));
        assertFalse(Cidr.any(blocks, InetAddress.getByName("192.0.2.8")));
        assertTrue(Cidr.any(blocks, InetAddress.getByName("fd12::1")));
        assertFalse(Cidr.any(blocks, InetAddress.getByName("11.0.0.1")));
        assertTrue(Cidr.parseList(" ").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("proxy.example.com"), "never a DNS lookup");
        assertNull(Cidr.literal("10.0.0.0/8"));
        assertEquals(InetAddress.getByName("10.1.2.3"), Cidr.literal("10.1.2.3"));
    }
}
