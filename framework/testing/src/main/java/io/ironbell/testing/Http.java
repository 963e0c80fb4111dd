package io.ironbell.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

/** A small HTTP client for tests: short timeouts, and failures as values rather than exceptions. */
public final class Http {

    private static final java.security.KeyStore ANCHORS = anchors();
    private static volatile HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static java.security.KeyStore anchors() {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            return ks;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Trusts the CA certificates of a PEM file from now on (a test server's {@code data/tls/ca.pem}),
     * besides those trusted before: HTTPS requests are verified as any client would, names included.
     */
    public static synchronized void trust(java.nio.file.Path caPem) {
        try (var in = java.nio.file.Files.newInputStream(caPem)) {
            for (var cert : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (ANCHORS.getCertificateAlias(cert) == null) {
                    ANCHORS.setCertificateEntry("ca" + ANCHORS.size(), cert);
                }
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ANCHORS);
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(ssl).build();
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + caPem + ": " + e.getMessage(), e);
        }
    }

    private Http() {
    }

    /**
     * An answer, or the reason there was none.
     *
     * @param status the HTTP status, or -1 when the request failed
     * @param body   the body, or the failure's description
     */
    public record Response(int status, String body) {

        /** Whether an HTTP answer arrived. */
        public boolean answered() {
            return status > 0;
        }
    }

    /** The client {@link #send} uses: it trusts the CAs given to {@link #trust}, for tests that stream. */
    public static HttpClient client() {
        return client;
    }

    /** GETs the URL. */
    public static Response get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build());
    }

    /** Sends a request. */
    public static Response send(HttpRequest request) {
        try {
            var r = client.send(request, BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Response(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Response(-1, e.toString());
        }
    }
}
