/**
 * Per-machine log lines from workers, actions and syslog.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.log;
