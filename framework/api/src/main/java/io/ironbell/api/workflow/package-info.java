/**
 * Workflows, their execution states and events, and the store the engine keeps them in.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.ironbell.api.workflow;
