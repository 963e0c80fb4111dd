/**
 * The HTTP route whiteboard: routes are services that the one Ironbell HTTP server serves.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.ironbell.api.http;
