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
 * never garble a line.
 */
final class OutputLines extends ResultCallback.Adapter<Frame> {

    private final Consumer<String> log;
    private final Map<StreamType, ByteArrayOutputStream> partial = new EnumMap<>(StreamType.class);
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
        ByteArrayOutputStream buffer = partial.computeIfAbsent(frame.getStreamType(), t -> new ByteArrayOutputStream());
        for (byte b : frame.getPayload()) {
            if (b == '\n') {
                emit(buffer);
            } else {
                buffer.write(b);
            }
        }
    }

    @Override
    public void onComplete() {
        synchronized (this) {
            partial.values().forEach(b -> {
                if (b.size() > 0) {
                    emit(b);
                }
            });
        }
        super.onComplete();
    }

    private void emit(ByteArrayOutputStream buffer) {
        String line = buffer.toString(StandardCharsets.UTF_8);
        buffer.reset();
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        log.accept(line);
        if (!line.isBlank()) {
            last = line;
        }
    }
}
