/**
 * Readiness checks that {@code /readyz} aggregates.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.health;
