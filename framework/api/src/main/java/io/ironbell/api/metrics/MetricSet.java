package io.ironbell.api.metrics;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Metrics that a component contributes to {@code /metrics}.
 *
 * <p>Register an implementation as an OSGi service; at every scrape the server calls
 * {@link #collect} and renders what was written in Prometheus' text format. A bundle that
 * stops takes its metrics with it. Keep counters in the component (e.g. a
 * {@link java.util.concurrent.atomic.LongAdder}) and write their current values here;
 * {@code collect} must be cheap and must not block.
 */
@ConsumerType
public interface MetricSet {

    /** Writes the current value of every metric of this set. */
    void collect(MetricWriter writer);
}
