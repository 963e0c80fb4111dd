package io.ironbell.api.http;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where Ironbell's HTTP server listens, for plugins that hand out URLs to machines (the DHCP
 * server's iPXE script URL, the iPXE script's kernel URL). Registered by the HTTP server while
 * it is bound.
 */
@ProviderType
public interface HttpEndpoint {

    /** The TCP port the server is bound to. */
    int port();

    /**
     * A URL on this server as a machine at {@code host} should use it.
     *
     * @param host the address machines reach Ironbell at (e.g. {@code server.address})
     * @param path an absolute path, e.g. {@code /ipxe/52:54:00:12:34:56/auto.ipxe}
     */
    default String url(String host, String path) {
        return "http://" + host + ":" + port() + path;
    }
}
