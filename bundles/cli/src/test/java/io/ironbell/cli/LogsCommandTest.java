package io.ironbell.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ironbell logs} against a server that serves what a machine wrote: terminal escape
 * sequences and other control characters never reach the terminal, and syslog lines say that
 * nothing proves who sent them.
 */
class LogsCommandTest {

    static final String TOKEN = "s3cret-token-0123456789";

    /** What a machine can put in its log: ESC sequences (clear screen, set title, CSI as one C1 character), CR and LF. */
    static final String HOSTILE = "kernel: \u001b[2J\u001b]0;owned\u0007 ok\r\n2026-12-01T10:00:00Z worker: all good \u009b31m red";

    private final ObjectMapper json = new ObjectMapper();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private PrintStream before;
    private HttpServer http;
    private JsonNode served;

    @BeforeEach
    void start() throws Exception {
        served = json.valueToTree(Map.of("machine", "node-1", "lines", List.of(
                Map.of("sequence", 1, "machine", "node-1", "at", "2026-12-01T10:00:00Z", "source", "syslog", "severity", "info",
                        "text", HOSTILE, "unauthenticated", true),
                Map.of("sequence", 2, "machine", "node-1", "at", "2026-12-01T10:00:01Z", "source", "dd\u001b[1m",
                        "text", "colour \u001b[32mgreen\u001b[0m\ttab"),
                // from a server that does not mark syslog lines yet
                Map.of("sequence", 3, "machine", "node-1", "at", "2026-12-01T10:00:02Z", "source", "syslog", "text", "old server"))));
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/api/v1/machines/node-1/logs", ex -> {
            byte[] body = json.writeValueAsBytes(served);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        http.start();
        before = Main.out;
        Main.out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() {
        Main.out = before;
        http.stop(0);
    }

    private String logs(String... more) {
        String server = "http://127.0.0.1:" + http.getAddress().getPort();
        String[] args = new String[4 + more.length + 2];
        args[0] = "logs";
        args[1] = "node-1";
        System.arraycopy(more, 0, args, 2, more.length);
        args[2 + more.length] = "--server";
        args[3 + more.length] = server;
        args[4 + more.length] = "--token";
        args[5 + more.length] = TOKEN;
        assertEquals(0, Main.run(args));
        return printed.toString(StandardCharsets.UTF_8);
    }

    /** Fails on any control character but the newlines that end lines (and tabs), C1 ones included. */
    private static void assertNoControls(String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            boolean control = c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f;
            assertTrue(!control, String.format("control character U+%04X printed at %d: %s", (int) c, i, out));
        }
    }

    @Test
    void aTableShowsControlCharactersEscapedAndSyslogAsUnauthenticated() {
        String out = logs();
        assertNoControls(out);
        List<String> lines = out.lines().toList();
        assertEquals(3, lines.size(), "an embedded newline cannot make a line of its own: " + out);
        assertTrue(lines.get(0).startsWith("2026-12-01T10:00:00Z unauthenticated syslog: kernel: \\x1b[2J\\x1b]0;owned\\x07 ok\\x0d\\x0a2026"),
                lines.get(0));
        assertTrue(lines.get(0).endsWith("all good \\u009b31m red"), lines.get(0));
        assertEquals("2026-12-01T10:00:01Z dd\\x1b[1m: colour \\x1b[32mgreen\\x1b[0m\ttab", lines.get(1));
        assertEquals("2026-12-01T10:00:02Z unauthenticated syslog: old server", lines.get(2));
    }

    @Test
    void jsonKeepsEveryValueAndPrintsNoControlCharacter() throws Exception {
        String out = logs("-o", "json");
        assertNoControls(out);
        assertEquals(served, json.readTree(out), "the same JSON, only escaped");
    }

    @Test
    void yamlKeepsEveryValueAndPrintsNoControlCharacter() throws Exception {
        String out = logs("-o", "yaml");
        assertNoControls(out);
        assertEquals(served, io.ironbell.api.json.Json.yaml().readTree(out), "the same values, only escaped");
    }
}
