package io.ironbell.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

/** A small HTTP client for tests: short timeouts, and failures as values rather than exceptions. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Http() {
    }

    /**
     * An answer, or the reason there was none.
     *
     * @param status the HTTP status, or -1 when the request failed
     * @param body   the body, or the failure's description
     */
    public record Response(int status, String body) {

        /** Whether an HTTP answer arrived. */
        public boolean answered() {
            return status > 0;
        }
    }

    /** GETs the URL. */
    public static Response get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build());
    }

    /** Sends a request. */
    public static Response send(HttpRequest request) {
        try {
            var r = CLIENT.send(request, BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Response(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Response(-1, e.toString());
        }
    }
}
