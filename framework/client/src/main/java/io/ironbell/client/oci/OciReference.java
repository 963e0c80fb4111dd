package io.ironbell.client.oci;

import java.util.Collection;
import java.util.Locale;

/**
 * An OCI reference: {@code registry[:port]/repository:tag} or {@code ...@sha256:digest},
 * optionally behind {@code oci://} or {@code https://} (TLS) or {@code http://} (a plain-HTTP
 * registry, such as one on the provisioning network). Without a registry host (no dot, colon or
 * "localhost" in the first part) it is Docker Hub's.
 *
 * @param base       {@code https://host[:port]} or {@code http://host[:port]}
 * @param host       the registry's host[:port]
 * @param repository the repository path
 * @param reference  the tag or the digest
 */
public record OciReference(String base, String host, String repository, String reference) {

    /**
     * Parses a reference.
     *
     * @throws OciException INVALID when it is not one
     */
    public static OciReference parse(String text) throws OciException {
        String t = text == null ? "" : text.trim();
        String scheme = "https";
        for (String prefix : new String[] {"oci://", "https://", "http://"}) {
            if (t.startsWith(prefix)) {
                scheme = prefix.equals("http://") ? "http" : "https";
                t = t.substring(prefix.length());
            }
        }
        int slash = t.indexOf('/');
        String host;
        String rest;
        String first = slash < 0 ? "" : t.substring(0, slash);
        if (slash > 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            host = first;
            rest = t.substring(slash + 1);
        } else {
            host = "registry-1.docker.io";
            rest = t.contains("/") ? t : "library/" + t;
        }
        String repository;
        String reference;
        int at = rest.indexOf('@');
        if (at > 0) {
            repository = rest.substring(0, at);
            reference = rest.substring(at + 1);
            if (!reference.matches("sha256:[0-9a-f]{64}")) {
                throw new OciException(OciException.Kind.INVALID, "a digest must be sha256:<64 hex digits>, was " + reference);
            }
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon > rest.lastIndexOf('/')) {
                repository = rest.substring(0, colon);
                reference = rest.substring(colon + 1);
            } else {
                repository = rest;
                reference = "latest";
            }
        }
        if (repository.isEmpty() || !repository.matches("[a-z0-9]+([._/-][a-z0-9]+)*") || reference.isEmpty()
                || !reference.matches("sha256:[0-9a-f]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new OciException(OciException.Kind.INVALID, "not an OCI reference such as registry.example:5000/images/debian:12: '" + text + "'");
        }
        return new OciReference(scheme + "://" + host, host, repository, reference);
    }

    /** This reference over plain HTTP when its registry is one of {@code insecure} (host[:port], as Docker's insecure-registries). */
    public OciReference plainHttpIf(Collection<String> insecure) {
        if (base.startsWith("http://") || !insecure.contains(host.toLowerCase(Locale.ROOT))) {
            return this;
        }
        return new OciReference("http://" + host, host, repository, reference);
    }

    /** The same repository at another tag or digest. */
    public OciReference at(String tagOrDigest) {
        return new OciReference(base, host, repository, tagOrDigest);
    }

    @Override
    public String toString() {
        return host + "/" + repository + (reference.startsWith("sha256:") ? "@" : ":") + reference;
    }
}
