package io.ironbell.bmc.redfish.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * HTTP and JSON for one Redfish service: TLS checked against the JVM's CAs and the machine's own
 * ({@code caPem}), the host name included, unless the machine opts out ({@code insecureTls});
 * every request bounded by the endpoint's timeout; errors sorted into {@link Reason}s with the
 * service's own message.
 */
final class RedfishHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final URI base;
    private final Duration timeout;
    private String authorization;
    private String tokenHeader;

    /** A response: status, the JSON body (missing when empty) and the headers that matter here. */
    record Response(int status, JsonNode body, Optional<String> location, Optional<String> etag, Optional<String> token) {
    }

    RedfishHttp(HttpClient client, BmcEndpoint endpoint) {
        int port = endpoint.port() == 0 ? 443 : endpoint.port();
        String scheme = endpoint.option("scheme", "https");
        this.base = URI.create(scheme + "://" + hostForUri(endpoint.host()) + ":" + port);
        this.timeout = endpoint.timeout();
        this.client = client;
    }

    /**
     * A client for the endpoint's TLS choices (connections are kept by it, so a driver keeps one
     * per distinct choice rather than one per call).
     */
    static HttpClient client(BmcEndpoint endpoint) throws BmcException {
        // no connect timeout of the client's own: every request's timeout bounds its connect too
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).sslContext(sslContext(endpoint)).build();
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    URI base() {
        return base;
    }

    void basicAuth(String user, String password) {
        authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    void sessionToken(String token) {
        tokenHeader = token;
    }

    Response get(String path) throws BmcException {
        return send("GET", path, null, null);
    }

    Response post(String path, Object body) throws BmcException {
        return send("POST", path, body, null);
    }

    Response patch(String path, Object body, String ifMatch) throws BmcException {
        return send("PATCH", path, body, ifMatch);
    }

    Response delete(String path) throws BmcException {
        return send("DELETE", path, null, null);
    }

    Response send(String method, String path, Object body, String ifMatch) throws BmcException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Accept", "application/json")
                .header("OData-Version", "4.0");
        if (tokenHeader != null) {
            b.header("X-Auth-Token", tokenHeader);
        } else if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        try {
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? MissingNode.getInstance() : parse(r.body());
            Response response = new Response(r.statusCode(), json, r.headers().firstValue("Location"), r.headers().firstValue("ETag"),
                    r.headers().firstValue("X-Auth-Token"));
            if (r.statusCode() >= 400) {
                throw refused(method, path, response);
            }
            return response;
        } catch (HttpConnectTimeoutException e) {
            throw new BmcException(Reason.UNREACHABLE, "the BMC at " + base + " did not accept a connection within " + timeout.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw new BmcException(Reason.TIMEOUT, "the BMC at " + base + " did not answer " + method + " " + path + " within "
                    + timeout.toSeconds() + " s");
        } catch (SSLHandshakeException e) {
            throw new BmcException(Reason.TLS, "the BMC at " + base + " is not trusted: " + rootMessage(e)
                    + " (give its CA as caPem, or insecureTls: true to accept any certificate)", e);
        } catch (SSLException e) {
            throw new BmcException(Reason.TLS, "TLS with the BMC at " + base + " failed: " + rootMessage(e), e);
        } catch (ConnectException e) {
            throw new BmcException(Reason.UNREACHABLE, "the BMC at " + base + " refused the connection or cannot be reached");
        } catch (IOException e) {
            throw new BmcException(Reason.UNREACHABLE, "the BMC at " + base + ": " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BmcException(Reason.TIMEOUT, "interrupted while waiting for the BMC at " + base);
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private BmcException refused(String method, String path, Response r) {
        String message = r.body().path("error").path("@Message.ExtendedInfo").path(0).path("Message").asText(
                r.body().path("error").path("message").asText(""));
        String what = method + " " + path + " answered " + r.status() + (message.isEmpty() ? "" : ": " + message);
        if (r.status() == 401 || r.status() == 403) {
            return new BmcException(Reason.AUTH, "the BMC at " + base + " refused the credentials (" + what + ")");
        }
        if (r.status() == 404 || r.status() == 405 || r.status() == 501) {
            return new BmcException(Reason.UNSUPPORTED, "the BMC at " + base + " does not have this (" + what + ")");
        }
        if (r.status() == 503) {
            return new BmcException(Reason.UNREACHABLE, "the BMC at " + base + " is busy (" + what + ")");
        }
        return new BmcException(Reason.REFUSED, "the BMC at " + base + ": " + what);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }


    private static SSLContext sslContext(BmcEndpoint endpoint) throws BmcException {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            if (endpoint.insecureTls()) {
                ssl.init(null, new TrustManager[] {new AnyCertificate()}, null);
                return ssl;
            }
            TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            // the JVM's CAs and the machine's own in one store, so that the JDK's checks (host name included) apply to both
            jvm.init((KeyStore) null);
            int n = 0;
            for (TrustManager tm : jvm.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        store.setCertificateEntry("jvm-" + n++, c);
                    }
                }
            }
            if (endpoint.caPem() != null && !endpoint.caPem().isBlank()) {
                List<Certificate> mine = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(
                        new ByteArrayInputStream(endpoint.caPem().getBytes(StandardCharsets.US_ASCII))));
                if (mine.isEmpty()) {
                    throw new BmcException(Reason.CONFIG, "caPem holds no certificate");
                }
                for (Certificate c : mine) {
                    store.setCertificateEntry("machine-" + n++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (GeneralSecurityException | IOException e) {
            throw new BmcException(Reason.CONFIG, "cannot set up TLS for the BMC at " + endpoint.host() + ": " + e.getMessage(), e);
        }
    }

    /** The per-machine opt-out: any certificate, any name. */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
