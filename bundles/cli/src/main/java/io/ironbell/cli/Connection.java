package io.ironbell.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the server is and which token to show it: from flags, else the environment
 * ({@code IRONBELL_SERVER}, {@code IRONBELL_TOKEN}), else {@code ~/.config/ironbell/cli.properties}
 * ({@code server=}, {@code token=}), else the distribution this CLI runs from: its
 * {@code conf/ironbell.properties} ({@code http.port}) and {@code data/api-token}, so that on the
 * server's own machine no flag is needed.
 *
 * @param server base URL, e.g. {@code http://127.0.0.1:8080}
 * @param token  admin bearer token, or {@code null}
 */
record Connection(String server, String token) {

    static Connection resolve(String serverFlag, String tokenFlag, Map<String, String> env, Path userConfig, Path home) {
        Properties user = load(userConfig);
        Properties conf = home == null ? new Properties() : load(home.resolve("conf/ironbell.properties"));
        String server = first(serverFlag, env.get("IRONBELL_SERVER"), user.getProperty("server"));
        if (server == null) {
            String port = first(env.get("IRONBELL_HTTP_PORT"), conf.getProperty("http.port"), "8080");
            server = "http://127.0.0.1:" + port.trim();
        }
        String token = first(tokenFlag, env.get("IRONBELL_TOKEN"), user.getProperty("token"));
        if (token == null && home != null) {
            token = readToken(home.resolve("data/api-token"));
        }
        return new Connection(server.endsWith("/") ? server.substring(0, server.length() - 1) : server, token);
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
