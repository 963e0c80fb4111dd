/**
 * The server instances that share one database: who they are, which are alive, and which one does
 * the work that one instance must do for all of them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.cluster;
