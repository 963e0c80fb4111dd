package io.ironbell.api.hardware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"52:54:00:12:34:56", "52-54-00-12-34-56", "525400123456"})
    void parsesCommonForms(String text) {
        MacAddress mac = MacAddress.parse(text);
        assertEquals("52:54:00:12:34:56", mac.toString());
        assertEquals(0x525400123456L, mac.toLong());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g", "52::54:00:12:34:56",
            "52:54:00:12:34:56:", ":52:54:00:12:34:56", "5:25:40:01:23:456"})
    void refusesMalformedText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertTrue(e.getMessage().contains(text));
    }

    @Test
    void bytesRoundTrip() {
        byte[] chaddr = {0, 0, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x00, 0x01, 9};
        MacAddress mac = MacAddress.of(chaddr, 2);
        assertEquals("de:ad:be:ef:00:01", mac.toString());
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x00, 0x01}, mac.toBytes());
        assertEquals(mac, MacAddress.parse("DE:AD:BE:EF:00:01"));
        assertEquals(mac.hashCode(), MacAddress.parse("de:ad:be:ef:00:01").hashCode());
    }
}
