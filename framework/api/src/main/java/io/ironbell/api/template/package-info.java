/**
 * Workflow templates in Tinkerbell's YAML format, and their store.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.template;
