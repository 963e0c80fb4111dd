/**
 * A client of the OCI distribution API, the one Ironbell uses wherever it talks to a registry:
 * {@link io.ironbell.client.oci.OciReference} parses {@code registry/repository:tag} and
 * {@code @sha256:} references; {@link io.ironbell.client.oci.OciRegistry} pulls manifests and
 * blobs (digests checked) and pushes them, with anonymous, basic or bearer-token authentication;
 * {@link io.ironbell.client.oci.OciException} says what went wrong.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.client.oci;
