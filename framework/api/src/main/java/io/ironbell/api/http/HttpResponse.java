package io.ironbell.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ironbell.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A route's answer: a status, headers and one of three kinds of body.
 *
 * <ul>
 * <li>bytes, for ordinary answers;</li>
 * <li>a file, sent from disk without being read into memory, with {@code Range} requests
 * answered (206, 416) by the server;</li>
 * <li>a stream, which the route keeps writing to after it returned (chunked encoding);</li>
 * <li>a later answer: the route returns at once and the server sends the response the stage
 * completes with, holding the connection meanwhile without a thread (a long poll).</li>
 * </ul>
 * Instances are immutable; {@link #withHeader} returns a copy.
 */
public final class HttpResponse {

    /** The kinds of body. */
    public enum BodyKind {
        /** {@link #bytes()}. */
        BYTES,
        /** {@link #file()}. */
        FILE,
        /** {@link #streamer()}. */
        STREAM,
        /** {@link #later()}: the response comes when the stage completes. */
        DEFERRED
    }

    private final int status;
    private final String contentType;
    private final Map<String, String> headers;
    private final byte[] bytes;
    private final Path file;
    private final NavigableMap<Long, byte[]> overlay;
    private final Consumer<ResponseStream> streamer;
    private final CompletionStage<HttpResponse> later;

    private HttpResponse(int status, String contentType, Map<String, String> headers,
                         byte[] bytes, Path file, Consumer<ResponseStream> streamer) {
        this(status, contentType, headers, bytes, file, Collections.emptyNavigableMap(), streamer);
    }

    private HttpResponse(int status, String contentType, Map<String, String> headers,
                         byte[] bytes, Path file, NavigableMap<Long, byte[]> overlay, Consumer<ResponseStream> streamer) {
        this(status, contentType, headers, bytes, file, overlay, streamer, null);
    }

    private HttpResponse(int status, String contentType, Map<String, String> headers, byte[] bytes, Path file,
                         NavigableMap<Long, byte[]> overlay, Consumer<ResponseStream> streamer, CompletionStage<HttpResponse> later) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status out of range: " + status);
        }
        this.status = status;
        this.contentType = contentType;
        this.headers = headers;
        this.bytes = bytes;
        this.file = file;
        this.overlay = overlay;
        this.streamer = streamer;
        this.later = later;
    }

    /** A response with a body of bytes. */
    public static HttpResponse of(int status, String contentType, byte[] body) {
        return new HttpResponse(status, contentType, Map.of(), Objects.requireNonNull(body), null, null);
    }

    /** A {@code text/plain; charset=utf-8} response. */
    public static HttpResponse text(int status, String body) {
        return of(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    /** An {@code application/json} response with {@code value} written by {@link Json#mapper()}. */
    public static HttpResponse json(int status, Object value) {
        try {
            return of(status, "application/json", Json.mapper().writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /** A 204 response without a body. */
    public static HttpResponse noContent() {
        return new HttpResponse(204, null, Map.of(), new byte[0], null, null);
    }

    /**
     * A 200 response whose body is the file, sent without being read into memory. The server
     * answers {@code Range} requests on it.
     */
    public static HttpResponse file(Path file, String contentType) {
        return new HttpResponse(200, contentType, Map.of(), null, Objects.requireNonNull(file), null);
    }

    /**
     * A file as {@link #file(Path, String)}, with bytes of its own at some offsets: each
     * {@code overlay} entry replaces as many bytes of the file from its offset (the length stays
     * the file's), in full responses and in every range. For a file served a little differently
     * to each client (a boot image with a machine's kernel parameters) without a copy per client.
     *
     * @throws IllegalArgumentException when two entries overlap
     */
    public static HttpResponse file(Path file, String contentType, Map<Long, byte[]> overlay) {
        NavigableMap<Long, byte[]> sorted = new TreeMap<>();
        long end = -1;
        for (Map.Entry<Long, byte[]> e : new TreeMap<>(overlay).entrySet()) {
            if (e.getKey() < 0 || e.getKey() < end) {
                throw new IllegalArgumentException("overlay entries overlap or start before 0 at " + e.getKey());
            }
            sorted.put(e.getKey(), e.getValue().clone());
            end = e.getKey() + e.getValue().length;
        }
        return new HttpResponse(200, contentType, Map.of(), null, Objects.requireNonNull(file), Collections.unmodifiableNavigableMap(sorted),
                null);
    }

    /**
     * A response whose body the route writes after returning: the server sends the head,
     * then calls {@code streamer} with the open stream (on a worker thread that it must not
     * keep: writers keep the {@link ResponseStream} and write from their own threads).
     */
    public static HttpResponse stream(int status, String contentType, Consumer<ResponseStream> streamer) {
        return new HttpResponse(status, contentType, Map.of(), null, null, Objects.requireNonNull(streamer));
    }

    /**
     * A response that comes later: the server sends what {@code answer} completes with (a failed
     * stage is a 500). The route's thread is free at once; the connection waits.
     */
    public static HttpResponse later(CompletionStage<HttpResponse> answer) {
        return new HttpResponse(200, null, Map.of(), null, null, Collections.emptyNavigableMap(), null, Objects.requireNonNull(answer));
    }

    /** The stage of a {@link BodyKind#DEFERRED} response. */
    public CompletionStage<HttpResponse> later() {
        return later;
    }

    /** Returns a copy with a header set (replacing one of the same name). */
    public HttpResponse withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new HttpResponse(status, contentType, Collections.unmodifiableMap(h), bytes, file, overlay, streamer, later);
    }

    /** The status. */
    public int status() {
        return status;
    }

    /** The content type, or {@code null}. */
    public String contentType() {
        return contentType;
    }

    /** The extra headers. */
    public Map<String, String> headers() {
        return headers;
    }

    /** What kind of body this is. */
    public BodyKind bodyKind() {
        return later != null ? BodyKind.DEFERRED : file != null ? BodyKind.FILE : streamer != null ? BodyKind.STREAM : BodyKind.BYTES;
    }

    /** The body bytes of a {@link BodyKind#BYTES} response (not copied: do not modify). */
    public byte[] bytes() {
        return bytes;
    }

    /** The file of a {@link BodyKind#FILE} response. */
    public Path file() {
        return file;
    }

    /** A {@link BodyKind#FILE} response's own bytes by offset (not copied: do not modify); empty for most. */
    public NavigableMap<Long, byte[]> overlay() {
        return overlay;
    }

    /** The writer of a {@link BodyKind#STREAM} response. */
    public Consumer<ResponseStream> streamer() {
        return streamer;
    }
}
