package io.ironbell.api.bmc;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a driver needs to reach one BMC: address, credentials (the password in clear, held
 * only while a task runs), TLS choices and the dialect's own options ({@code cipherSuite} for
 * IPMI, {@code systemName} or {@code useBasicAuth} for Redfish), and how long one call may take.
 *
 * @param port         0 for the dialect's default
 * @param insecureTls  whether a certificate that does not verify is accepted (a per-machine opt-out)
 * @param caPem        PEM certificates trusted for this BMC besides the JVM's, or {@code null}
 */
public record BmcEndpoint(String host, int port, String username, String password, boolean insecureTls, String caPem,
        Map<String, String> options, Duration timeout) {

    public BmcEndpoint {
        Objects.requireNonNull(host, "host");
        options = options == null ? Map.of() : Map.copyOf(options);
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
    }

    /** A dialect option, or the default when the machine has none. */
    public String option(String name, String otherwise) {
        String v = options.get(name);
        return v == null || v.isBlank() ? otherwise : v;
    }

    @Override
    public String toString() {
        // never the password
        return "BmcEndpoint[" + host + ":" + port + ", user " + username + ", options " + options + "]";
    }
}
