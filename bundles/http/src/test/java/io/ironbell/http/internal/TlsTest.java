package io.ironbell.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.client.Trust;
import io.ironbell.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.util.converter.Converters;

/** The HTTPS listener against the JDK's own HTTPS client: generated certificates, routes by listener, replacement while running. */
class TlsTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private long nextId = 1;

    @AfterEach
    void stop() {
        if (server != null) {
            server.deactivate();
        }
    }

    private HttpServer start(Path tlsDir, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("port", 0);
        config.put("tlsPort", 0);
        config.put("address", "127.0.0.1");
        config.put("tlsCheckSeconds", 1);
        config.putAll(extra);
        server = new HttpServer(Converters.standardConverter().convert(config).to(HttpServer.Config.class), tlsDir);
        route("/api/secret", false);
        route("/plain", true);
        return server;
    }

    private void route(String path, boolean plain) {
        Map<String, Object> props = new HashMap<>();
        props.put(Constants.SERVICE_ID, nextId++);
        props.put(HttpRoute.PATH, path);
        props.put(HttpRoute.PLAIN, plain);
        server.addRoute(r -> HttpResponse.text(200, (r.secure() ? "secure " : "plain ") + path), props);
    }

    private static java.net.http.HttpResponse<String> get(SSLContext trust, String url) throws Exception {
        HttpClient c = HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(5)).build();
        return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
    }

    private String https(String path) {
        return "https://127.0.0.1:" + server.securePort() + path;
    }

    private String http(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    @Test
    void aFirstStartMakesACaAndACertificateThatTheJdkClientVerifies() throws Exception {
        Path tls = dir.resolve("tls");
        start(tls, Map.of());
        for (String f : List.of("ca.pem", "ca-key.pem", "server.pem", "server-key.pem")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(f))), f);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls)));
        X509Certificate ca = ServerCertificates.certificates(tls.resolve("ca.pem")).get(0);
        assertEquals(Trust.fingerprint(ca), server.tls().anchor(), "machines pin the CA");

        SSLContext byCa = Trust.caFile(tls.resolve("ca.pem"));
        assertEquals("secure /api/secret", get(byCa, https("/api/secret")).body());
        assertEquals("secure /plain", get(byCa, https("/plain")).body());
        // localhost is a name the certificate carries too: the hostname check passes
        assertEquals(200, get(byCa, "https://localhost:" + server.securePort() + "/plain").statusCode());
        assertEquals(200, get(Trust.pinned(server.tls().anchor()), https("/api/secret")).statusCode());

        var refused = get(byCa, http("/api/secret"));
        assertEquals(403, refused.statusCode());
        assertTrue(refused.body().contains("https_required") && refused.body().contains("port " + server.securePort()), refused.body());
        assertEquals("plain /plain", get(byCa, http("/plain")).body());
    }

    @Test
    void aClientThatTrustsAnotherCaOrPinIsRefusedTheHandshake() throws Exception {
        ServerCertificates.ensure(dir.resolve("other"), List.of("127.0.0.1"));
        start(dir.resolve("tls"), Map.of());
        SSLContext other = Trust.caFile(dir.resolve("other/ca.pem"));
        assertThrows(SSLHandshakeException.class, () -> get(other, https("/api/secret")));
        assertThrows(SSLHandshakeException.class, () -> get(Trust.pinned("sha256:" + "ab".repeat(32)), https("/api/secret")));
        assertThrows(SSLHandshakeException.class, () -> get(Trust.system(), https("/api/secret")), "not a public CA's");
        Await.until("failed handshakes counted", Duration.ofSeconds(5), () -> metric("ironbell_http_tls_handshakes_failed_total") >= 3 ? true : null);
    }

    @Test
    void aCertificateThatDoesNotNameTheAddressFailsTheHostnameCheckEvenWithTheRightCa() throws Exception {
        Path odd = dir.resolve("odd");
        ServerCertificates.ensure(odd, List.of("192.0.2.1"));
        start(null, Map.of("tlsCertificate", odd.resolve("server.pem").toString(), "tlsKey", odd.resolve("server-key.pem").toString()));
        SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> get(Trust.caFile(odd.resolve("ca.pem")), https("/plain")));
        assertTrue(String.valueOf(e.getMessage()).contains("127.0.0.1"), e.getMessage());
        assertThrows(SSLHandshakeException.class, () -> get(Trust.pinned(server.tls().anchor()), https("/plain")));
        assertEquals(200, get(Trust.insecure(), https("/plain")).statusCode(), "--insecure believes anything");
    }

    private long metric(String name) {
        PrometheusWriter w = new PrometheusWriter();
        server.collect(w);
        var m = java.util.regex.Pattern.compile("(?m)^" + name + " (\\d+)").matcher(w.render());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void theCaIsKeptAcrossStartsAndTheCertificateIsIssuedAgainForANewName() throws Exception {
        Path tls = dir.resolve("tls");
        start(tls, Map.of());
        String anchor = server.tls().anchor();
        String firstServerCert = Files.readString(tls.resolve("server.pem"));
        server.deactivate();
        server = null;
        start(tls, Map.of());
        assertEquals(anchor, server.tls().anchor());
        assertEquals(firstServerCert, Files.readString(tls.resolve("server.pem")), "nothing changed: nothing issued");
        server.deactivate();
        server = null;
        start(tls, Map.of("tlsNames", "pxe.example.net, 192.0.2.7"));
        assertEquals(anchor, server.tls().anchor(), "the same CA signs");
        assertNotEquals(firstServerCert, Files.readString(tls.resolve("server.pem")));
        List<String> names = ServerCertificates.certificates(tls.resolve("server.pem")).get(0).getSubjectAlternativeNames().stream()
                .map(san -> String.valueOf(san.get(1))).toList();
        assertTrue(names.contains("pxe.example.net") && names.contains("192.0.2.7") && names.contains("127.0.0.1"), names.toString());
    }

    @Test
    void certificateFilesReplacedWhileRunningServeNewConnections() throws Exception {
        ServerCertificates.ensure(dir.resolve("one"), List.of("127.0.0.1"));
        ServerCertificates.ensure(dir.resolve("two"), List.of("127.0.0.1"));
        Path chain = dir.resolve("server.pem");
        Path key = dir.resolve("server-key.pem");
        Files.copy(dir.resolve("one/server.pem"), chain);
        Files.copy(dir.resolve("one/server-key.pem"), key);
        start(null, Map.of("tlsCertificate", chain.toString(), "tlsKey", key.toString()));
        SSLContext one = Trust.caFile(dir.resolve("one/ca.pem"));
        SSLContext two = Trust.caFile(dir.resolve("two/ca.pem"));
        assertEquals(200, get(one, https("/plain")).statusCode());

        // a key that does not fit the chain is refused; the old pair stays in use
        Files.copy(dir.resolve("two/server-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(2500);
        assertEquals(200, get(one, https("/plain")).statusCode(), "the previous certificate still serves");

        Files.copy(dir.resolve("two/server.pem"), chain, StandardCopyOption.REPLACE_EXISTING);
        Await.until("the new certificate to be served", Duration.ofSeconds(10), () -> {
            try {
                return get(two, https("/plain")).statusCode() == 200 ? true : null;
            } catch (SSLHandshakeException e) {
                return null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThrows(SSLHandshakeException.class, () -> get(one, https("/plain")), "the old certificate is gone");
    }

    @Test
    void aKeyThatDoesNotFitTheCertificateStopsTheStartWithTheReason() throws Exception {
        ServerCertificates.ensure(dir.resolve("one"), List.of("127.0.0.1"));
        ServerCertificates.ensure(dir.resolve("two"), List.of("127.0.0.1"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(null, Map.of(
                "tlsCertificate", dir.resolve("one/server.pem").toString(), "tlsKey", dir.resolve("two/server-key.pem").toString())));
        assertTrue(e.getMessage().contains("http.tls") && e.getMessage().contains("not the certificate's key"), e.getMessage());
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class, () -> start(null, Map.of(
                "tlsCertificate", dir.resolve("one/server.pem").toString())));
        assertTrue(half.getMessage().contains("http.tlsKey"), half.getMessage());
    }
}
