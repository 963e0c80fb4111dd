package io.ironbell.http.internal;

import io.ironbell.api.metrics.MetricWriter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The HTTP server's own counters. */
final class HttpMetrics {

    private final LongAdder[] byClass = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    private final AtomicLong open = new AtomicLong();
    private final LongAdder plainRefused = new LongAdder();
    private final LongAdder handshakesFailed = new LongAdder();

    void countPlainRefused() {
        plainRefused.increment();
    }

    void countHandshakeFailed() {
        handshakesFailed.increment();
    }

    void countStatus(int status) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            byClass[c - 1].increment();
        }
    }

    void connectionOpened() {
        open.incrementAndGet();
    }

    void connectionClosed() {
        open.decrementAndGet();
    }

    void collect(MetricWriter w) {
        for (int i = 0; i < byClass.length; i++) {
            w.counter("ironbell_http_responses_total", "HTTP responses sent, by status class",
                    byClass[i].sum(), "code", (i + 1) + "xx");
        }
        w.gauge("ironbell_http_open_connections", "HTTP connections open now", open.get());
        w.counter("ironbell_http_plain_refused_total", "plain-HTTP requests for routes served over HTTPS only (403)", plainRefused.sum());
        w.counter("ironbell_http_tls_handshakes_failed_total", "TLS handshakes that failed (client distrusts the certificate, "
                + "speaks no TLS, or gave up)", handshakesFailed.sum());
    }
}
