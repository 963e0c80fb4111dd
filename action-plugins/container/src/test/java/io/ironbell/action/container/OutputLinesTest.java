package io.ironbell.action.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A container's output as frames, the way docker-java hands them over, without an engine. */
class OutputLinesTest {

    private final List<String> lines = new ArrayList<>();
    private final OutputLines output = new OutputLines(lines::add);

    private void frame(StreamType type, String text) {
        output.onNext(new Frame(type, text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void linesSplitAcrossFramesAndStreamsStayWhole() {
        frame(StreamType.STDOUT, "hel");
        frame(StreamType.STDERR, "warn");
        frame(StreamType.STDOUT, "lo\r\nsecond\n");
        frame(StreamType.STDERR, "ing\n");
        // a two-byte character split between frames
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        output.onNext(new Frame(StreamType.STDOUT, new byte[] {e[0]}));
        output.onNext(new Frame(StreamType.STDOUT, new byte[] {e[1], 'x'}));
        output.onComplete();
        assertEquals(List.of("hello", "second", "warning", "éx"), lines);
        assertEquals("éx", output.last());
    }

    @Test
    void aLineWithoutAnEndIsCutAndTheNextLineIsWhole() {
        // 16 MiB without a newline: a quarter of the worker's heap, which the buffer must not hold
        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 256; i++) {
            output.onNext(new Frame(StreamType.STDOUT, chunk));
        }
        frame(StreamType.STDOUT, "\nnext line\n");
        assertEquals(2, lines.size());
        String cut = lines.get(0);
        assertTrue(cut.length() <= 8192, "a line is at most 8 KiB, was " + cut.length() + " characters");
        assertTrue(cut.startsWith("xxxxxxxx"), cut.substring(0, 20));
        assertTrue(cut.contains("bytes cut"), "the line says that it was cut: " + cut.substring(cut.length() - 40));
        assertEquals("next line", lines.get(1));
    }

    @Test
    void aCutNeverSplitsACharacter() {
        frame(StreamType.STDOUT, "€".repeat(10_000) + "\n"); // three bytes each
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).length() <= 8192);
        assertFalse(lines.get(0).contains("\uFFFD"), "no half character became a replacement character");
        assertTrue(lines.get(0).startsWith("€€€"));
    }
}
