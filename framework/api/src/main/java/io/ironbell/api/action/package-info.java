/**
 * The action-plugin SPI: what a vendor implements to add an action type to the worker.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.ironbell.api.action;
