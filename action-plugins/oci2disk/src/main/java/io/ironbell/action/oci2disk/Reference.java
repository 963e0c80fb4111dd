package io.ironbell.action.oci2disk;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;

/**
 * An OCI reference as IMG_URL gives it: {@code registry[:port]/repository:tag} or
 * {@code ...@sha256:digest}, optionally behind {@code oci://} or {@code https://} (TLS) or
 * {@code http://} (a plain-HTTP registry, such as one on the provisioning network). Without a
 * registry host (no dot, colon or "localhost" in the first part) it is Docker Hub's.
 *
 * @param base       {@code https://host[:port]} or {@code http://host[:port]}
 * @param host       the registry's host[:port]
 * @param repository the repository path
 * @param reference  the tag or the digest
 */
record Reference(String base, String host, String repository, String reference) {

    static Reference parse(String text) throws ActionException {
        String t = text.trim();
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
                throw new ActionException(Reason.INVALID_INPUT, "IMG_URL's digest must be sha256:<64 hex digits>, was " + reference);
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
        if (repository.isEmpty() || !repository.matches("[a-z0-9]+([._/-][a-z0-9]+)*") || reference.isEmpty()) {
            throw new ActionException(Reason.INVALID_INPUT, "IMG_URL must be an OCI reference such as registry.example:5000/images/debian:12, was '"
                    + text + "'");
        }
        return new Reference(scheme + "://" + host, host, repository, reference);
    }
}
