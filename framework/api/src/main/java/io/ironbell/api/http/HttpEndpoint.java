package io.ironbell.api.http;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where Ironbell's HTTP server listens, for plugins that hand out URLs to machines (the DHCP
 * server's iPXE script URL, the iPXE script's kernel URL, the in-memory OS's server URL).
 * Registered by the HTTP server while it is bound.
 */
@ProviderType
public interface HttpEndpoint {

    /** The TCP port of the plain-HTTP listener. */
    int port();

    /**
     * A plain-HTTP URL on this server as a machine at {@code host} should use it: for what
     * firmware fetches (iPXE scripts, boot artifacts).
     *
     * @param host the address machines reach Ironbell at (e.g. {@code server.address})
     * @param path an absolute path, e.g. {@code /ipxe/52:54:00:12:34:56/auto.ipxe}
     */
    default String url(String host, String path) {
        return "http://" + host + ":" + port() + path;
    }

    /** The TCP port of the HTTPS listener, or -1 when TLS is off. */
    default int securePort() {
        return -1;
    }

    /**
     * The URL a machine should use for everything else (the worker API): HTTPS when TLS is on,
     * else the plain-HTTP URL.
     */
    default String secureUrl(String host, String path) {
        return securePort() < 0 ? url(host, path) : "https://" + host + ":" + securePort() + path;
    }

    /**
     * The fingerprint machines pin to verify the HTTPS listener: {@code sha256:} and the
     * lower-case hex SHA-256 of the DER encoding of the certificate that anchors the server's
     * chain (the generated CA, or the last certificate of the operator's chain file). Empty
     * when TLS is off.
     */
    default Optional<String> trustAnchor() {
        return Optional.empty();
    }
}
