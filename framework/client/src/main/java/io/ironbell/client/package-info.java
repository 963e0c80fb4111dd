/**
 * The client of Ironbell's REST API ({@code /api/v1}): {@link io.ironbell.client.ApiClient} sends
 * requests and reads answers and event streams; {@link io.ironbell.client.ApiException} says why a
 * call failed and whether trying again can help; {@link io.ironbell.client.Trust} says which
 * servers to believe (a CA file, a pinned fingerprint). Plain Java with no OSGi services, used alike by
 * the CLI, the worker and anyone who scripts Ironbell from the JVM.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.ironbell.client;
