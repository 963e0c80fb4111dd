package io.ironbell.tftp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TFTP packet helpers ({@link Tftp}) and the name rules of {@link TftpServer#normalise}, without a channel. */
class TftpPacketTest {

    /** Parses an RRQ's fields (after the opcode) given as text with NULs. */
    private static Tftp.Request parse(String fields) {
        ByteBuf in = Unpooled.copiedBuffer(fields, StandardCharsets.US_ASCII);
        try {
            return Tftp.parseRequest(in);
        } finally {
            in.release();
        }
    }

    private static byte[] written(java.util.function.Consumer<ByteBuf> writer) {
        ByteBuf out = Unpooled.buffer();
        try {
            writer.accept(out);
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b);
            return b;
        } finally {
            out.release();
        }
    }

    @Test
    void aPlainReadRequest() {
        Tftp.Request r = parse("efi/ipxe.efi\0octet\0");
        assertEquals("efi/ipxe.efi", r.file());
        assertEquals("octet", r.mode());
        assertEquals(Map.of(), r.options());
    }

    @Test
    void optionNamesAndTheModeAreCaseInsensitiveAndKeepTheirOrder() {
        Tftp.Request r = parse("undionly.kpxe\0OCTET\0TSize\0000\0BLKSIZE\0001468\0windowsize\08\0");
        assertEquals("octet", r.mode());
        assertEquals(List.of("tsize", "blksize", "windowsize"), List.copyOf(r.options().keySet()));
        assertEquals("0", r.options().get("tsize"));
        assertEquals("1468", r.options().get("blksize"));
        assertEquals("8", r.options().get("windowsize"));
        assertEquals("File.EFI", parse("File.EFI\0octet\0").file(), "the name keeps its case");
    }

    @Test
    void anOptionWithoutAValueIsIgnored() {
        assertEquals(Map.of("blksize", "512"), parse("f\0octet\0blksize\000512\0tsize\0").options());
    }

    @Test
    void malformedRequestsParseToNull() {
        assertNull(parse(""), "nothing");
        assertNull(parse("file-without-nul"), "no terminating NUL");
        assertNull(parse("file\0"), "no mode");
        assertNull(parse("\0octet\0"), "an empty name");
        assertNull(parse("file\0octet"), "the mode is not terminated");
        assertNull(parse("file\0octet\0blksize\000512"), "an option value is not terminated");
    }

    @Test
    void errorPacketsCarryCodeAndMessage() {
        assertArrayEquals("\0\5\0\1file not found: x\0".getBytes(StandardCharsets.US_ASCII),
                written(out -> Tftp.writeError(out, Tftp.ERR_NOT_FOUND, "file not found: x")));
        assertArrayEquals("\0\5\0\0\0".getBytes(StandardCharsets.US_ASCII), written(out -> Tftp.writeError(out, 0, "")));
    }

    @Test
    void anOackListsTheAcceptedOptionsInOrder() {
        Map<String, String> accepted = new LinkedHashMap<>();
        accepted.put("blksize", "1468");
        accepted.put("tsize", "1048576");
        assertArrayEquals("\0\6blksize\0001468\0tsize\0001048576\0".getBytes(StandardCharsets.US_ASCII),
                written(out -> Tftp.writeOack(out, accepted)));
    }

    @Test
    void namesAreMadeRelativeAndConfinedToTheRoot() {
        assertEquals("undionly.kpxe", TftpServer.normalise("undionly.kpxe"));
        assertEquals("efi/ipxe.efi", TftpServer.normalise("efi/ipxe.efi"));
        assertEquals("efi/ipxe.efi", TftpServer.normalise("./efi//./ipxe.efi"));
        assertEquals("efi", TftpServer.normalise("efi/"));
        assertEquals("..hidden", TftpServer.normalise("..hidden"), "only a whole '..' segment climbs");
        for (String refused : new String[] {"", "/etc/passwd", "../secret", "efi/../../secret", "efi/..", "a\\b", "a\0b", ".", "./", "//"}) {
            assertNull(TftpServer.normalise(refused), "'" + refused + "'");
        }
    }
}
