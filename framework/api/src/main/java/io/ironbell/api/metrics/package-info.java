/**
 * Metric sets that the {@code /metrics} endpoint renders in Prometheus' text format.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.metrics;
