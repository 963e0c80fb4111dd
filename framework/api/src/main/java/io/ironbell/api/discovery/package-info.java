/**
 * Machines that introduce themselves: the inventory a machine reports from its in-memory OS
 * ({@link io.ironbell.api.discovery.Inventory}), kept with its history, and the operator's
 * enrollment rules ({@link io.ironbell.api.discovery.EnrollmentRule}) that turn a discovered
 * machine into an enrolled one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.discovery;
