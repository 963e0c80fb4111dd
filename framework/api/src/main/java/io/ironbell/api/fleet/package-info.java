/**
 * The fleet at a glance: one summary per machine ({@link io.ironbell.api.fleet.MachineSummary})
 * joining its record, its BMC's power, how it was discovered, when it was last seen and where its
 * newest workflow stands in the boot flow, read in one query for pages that show thousands of
 * machines and follow hundreds of rollouts live.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.fleet;
