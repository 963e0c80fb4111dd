package io.ironbell.api.metrics;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Receives samples during a scrape.
 *
 * <p>Names follow Prometheus' rules ({@code [a-zA-Z_:][a-zA-Z0-9_:]*}), start with
 * {@code ironbell_} for Ironbell's own metrics, and counters end in {@code _total}. Labels
 * are given as name/value pairs: {@code counter("ironbell_dhcp_packets_total", "...", n,
 * "type", "offer")}. Samples of one name may be written several times with different labels;
 * the help text and type are taken from the first.
 */
@ProviderType
public interface MetricWriter {

    /** Writes a monotonically increasing value. */
    void counter(String name, String help, double value, String... labels);

    /** Writes a value that goes up and down. */
    void gauge(String name, String help, double value, String... labels);
}
