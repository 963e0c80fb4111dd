/**
 * Hardware records (Tinkerbell's hardware JSON, loss-free) and the services that store and look them up.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.ironbell.api.hardware;
