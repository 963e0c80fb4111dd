/**
 * Dynamic addresses for machines no record names yet: pools per subnet and their leases, shared by
 * every server instance through the database, so that no address is ever bound to two MACs.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.dhcp;
