package io.ironbell.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Which HTTPS servers a client believes, as an {@link SSLContext} for {@link ApiClient}: the
 * certificates of a CA file (the installation's {@code data/tls/ca.pem}), a pinned fingerprint
 * (what the in-memory OS gets on its kernel command line), or, only when asked, anything. In the
 * first two the server's chain is validated up to the trusted certificate and its name or address
 * must be one its certificate carries, as for any HTTPS client.
 */
public final class Trust {

    private Trust() {
    }

    /** The JDK's default trust (its CA store): for a server whose certificate a public CA signed. */
    public static SSLContext system() {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no default TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * Trusts the certificates of a PEM file (a CA, or several).
     *
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static SSLContext caFile(Path pem) throws IOException {
        try {
            Collection<? extends java.security.cert.Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
            if (certs.isEmpty()) {
                throw new IOException(pem + " holds no PEM certificate");
            }
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int i = 0;
            for (var c : certs) {
                anchors.setCertificateEntry("ca" + i++, c);
            }
            return context(pkix(anchors));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the CA certificates of " + pem + ": " + e.getMessage(), e);
        }
    }

    /**
     * Trusts a server whose chain holds the certificate with this fingerprint, validated up to it.
     *
     * @param fingerprint {@code sha256:} and 64 hex digits (colons allowed, any case), the SHA-256
     *                    of the certificate's DER encoding
     * @throws IllegalArgumentException when the fingerprint is not of that form
     */
    public static SSLContext pinned(String fingerprint) {
        return context(new Pinned(normalize(fingerprint)));
    }

    /** Believes any server: for a test bench or a first look, never for machines. */
    public static SSLContext insecure() {
        return context(new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        });
    }

    /** {@code sha256:} and the lower-case hex SHA-256 of a certificate's DER encoding. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fingerprint in the form {@link #fingerprint} writes. */
    static String normalize(String fingerprint) {
        String f = fingerprint == null ? "" : fingerprint.trim().toLowerCase(Locale.ROOT);
        if (f.startsWith("sha256:")) {
            f = f.substring(7);
        }
        f = f.replace(":", "");
        if (!f.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a fingerprint is sha256: and 64 hex digits (the SHA-256 of the certificate), was '"
                    + (fingerprint == null ? "" : fingerprint.trim()) + "'");
        }
        return "sha256:" + f;
    }

    private static X509ExtendedTrustManager pkix(KeyStore anchors) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(anchors);
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
    }

    private static SSLContext context(X509TrustManager tm) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {tm}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
        }
    }

    /** Finds the pinned certificate in the chain, then lets PKIX validate the chain up to it (names included). */
    private static final class Pinned extends X509ExtendedTrustManager {

        private final String pin;

        Pinned(String pin) {
            this.pin = pin;
        }

        private X509ExtendedTrustManager anchoredAt(X509Certificate[] chain) throws CertificateException {
            for (X509Certificate c : chain) {
                if (fingerprint(c).equals(pin)) {
                    try {
                        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                        ks.load(null, null);
                        ks.setCertificateEntry("pinned", c);
                        return pkix(ks);
                    } catch (GeneralSecurityException | IOException e) {
                        throw new CertificateException(e.getMessage(), e);
                    }
                }
            }
            throw new CertificateException("the server's certificate chain does not hold the pinned certificate " + pin
                    + " (its anchor is " + fingerprint(chain[chain.length - 1]) + ")");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            anchoredAt(chain).checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            anchoredAt(chain).checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            anchoredAt(chain).checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client context trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client context trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client context trusts no clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
