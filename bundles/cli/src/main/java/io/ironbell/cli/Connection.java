package io.ironbell.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the server is, which token to show it and which certificate to believe: from flags, else
 * the environment ({@code IRONBELL_SERVER}, {@code IRONBELL_TOKEN}, {@code IRONBELL_CA},
 * {@code IRONBELL_CA_FINGERPRINT}), else {@code ~/.config/ironbell/cli.properties} ({@code server=},
 * {@code token=}, {@code ca=}, {@code caFingerprint=}), else the distribution this CLI runs from:
 * its {@code conf/ironbell.properties} (HTTPS on {@code http.tlsPort} unless {@code http.tls} is
 * false), {@code data/api-token} and {@code data/tls/ca.pem}, so that on the server's own machine
 * no flag is needed. With no CA and no fingerprint anywhere, the JDK's CA store decides.
 *
 * @param server   base URL, e.g. {@code https://127.0.0.1:8443}
 * @param token    admin bearer token, or {@code null}
 * @param ca       PEM file of the CA to trust, or {@code null}
 * @param pin      fingerprint of the certificate to trust ({@code sha256:...}), or {@code null}
 * @param insecure believe any certificate ({@code --insecure})
 */
record Connection(String server, String token, Path ca, String pin, boolean insecure) {

    Connection(String server, String token) {
        this(server, token, null, null, false);
    }

    static Connection resolve(String serverFlag, String tokenFlag, Map<String, String> env, Path userConfig, Path home) {
        return resolve(serverFlag, tokenFlag, null, null, false, env, userConfig, home);
    }

    static Connection resolve(String serverFlag, String tokenFlag, String caFlag, String pinFlag, boolean insecure, Map<String, String> env,
                              Path userConfig, Path home) {
        Properties user = load(userConfig);
        Properties conf = home == null ? new Properties() : load(home.resolve("conf/ironbell.properties"));
        String server = first(serverFlag, env.get("IRONBELL_SERVER"), user.getProperty("server"));
        if (server == null) {
            boolean tls = !"false".equalsIgnoreCase(first(env.get("IRONBELL_HTTP_TLS"), conf.getProperty("http.tls"), "true"));
            server = tls ? "https://127.0.0.1:" + first(env.get("IRONBELL_HTTP_TLS_PORT"), env.get("IRONBELL_HTTP_TLSPORT"),
                    conf.getProperty("http.tlsPort"), "8443")
                    : "http://127.0.0.1:" + first(env.get("IRONBELL_HTTP_PORT"), conf.getProperty("http.port"), "8080");
        }
        String token = first(tokenFlag, env.get("IRONBELL_TOKEN"), user.getProperty("token"));
        if (token == null && home != null) {
            token = readToken(home.resolve("data/api-token"));
        }
        String pin = first(pinFlag, env.get("IRONBELL_CA_FINGERPRINT"), user.getProperty("caFingerprint"));
        String caText = pin != null ? null : first(caFlag, env.get("IRONBELL_CA"), user.getProperty("ca"));
        Path ca = caText != null ? Path.of(caText) : null;
        if (pin == null && ca == null && home != null && Files.isRegularFile(home.resolve("data/tls/ca.pem"))) {
            ca = home.resolve("data/tls/ca.pem");
        }
        return new Connection(server.endsWith("/") ? server.substring(0, server.length() - 1) : server, token, ca, pin, insecure);
    }

    private static String readToken(Path file) {
        try {
            return Files.isReadable(file) ? Files.readString(file).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        if (file != null && Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException ignored) {
                // an unreadable file is as good as none
            }
        }
        return p;
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }
}
