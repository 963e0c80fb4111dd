package io.ironbell.action.container;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns a container's followed output into lines as they come. Bytes are kept per stream until
 * a newline, so that a character split across frames, or stdout and stderr writing at once,
 * never garble a line. A line is kept up to {@link #MAX_LINE_BYTES}: the rest of a longer one is
 * counted, not held (a container that prints without newlines must not fill the worker's heap),
 * and the line ends with a note of how much was cut.
 */
final class OutputLines extends ResultCallback.Adapter<Frame> {

    /** Longest line passed on, in bytes of UTF-8, its note included: the server keeps 8,192 characters of a line. */
    static final int MAX_LINE_BYTES = 8192;
    /** What is kept of a longer line, leaving room for the note. */
    private static final int KEEP = MAX_LINE_BYTES - 64;

    /** The bytes of one stream's current line, and how many more were cut from it. */
    private static final class Partial {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long cut;
    }

    private final Consumer<String> log;
    private final Map<StreamType, Partial> partial = new EnumMap<>(StreamType.class);
    private volatile String last = "";

    OutputLines(Consumer<String> log) {
        this.log = log;
    }

    /** The last non-blank line, or an empty string. */
    String last() {
        return last;
    }

    @Override
    public synchronized void onNext(Frame frame) {
        Partial line = partial.computeIfAbsent(frame.getStreamType(), t -> new Partial());
        for (byte b : frame.getPayload()) {
            if (b == '\n') {
                emit(line);
            } else if (line.bytes.size() < KEEP) {
                line.bytes.write(b);
            } else {
                line.cut++;
            }
        }
    }

    @Override
    public void onComplete() {
        synchronized (this) {
            partial.values().forEach(p -> {
                if (p.bytes.size() > 0 || p.cut > 0) {
                    emit(p);
                }
            });
        }
        super.onComplete();
    }

    private void emit(Partial p) {
        String line;
        if (p.cut == 0) {
            line = p.bytes.toString(StandardCharsets.UTF_8);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
        } else {
            byte[] b = p.bytes.toByteArray();
            int end = wholeCharacters(b);
            line = new String(b, 0, end, StandardCharsets.UTF_8) + "… [" + (p.cut + b.length - end) + " bytes cut]";
        }
        p.bytes.reset();
        p.cut = 0;
        log.accept(line);
        if (!line.isBlank()) {
            last = line;
        }
    }

    /** The length of {@code b} without a character that the cut split. */
    private static int wholeCharacters(byte[] b) {
        int start = b.length - 1;
        while (start > 0 && (b[start] & 0xC0) == 0x80) {
            start--; // a continuation byte: its character starts earlier
        }
        if (start < 0) {
            return 0;
        }
        int lead = b[start] & 0xFF;
        int length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return start + length <= b.length ? b.length : start;
    }
}
