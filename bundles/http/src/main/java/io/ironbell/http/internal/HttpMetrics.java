package io.ironbell.http.internal;

import io.ironbell.api.metrics.MetricWriter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The HTTP server's own counters. */
final class HttpMetrics {

    private final LongAdder[] byClass = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    private final AtomicLong open = new AtomicLong();

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
    }
}
