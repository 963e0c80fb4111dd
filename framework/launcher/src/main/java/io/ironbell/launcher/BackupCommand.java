package io.ironbell.launcher;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code ironbell backup FILE} and {@code ironbell restore FILE}: asks the server running on
 * this machine (its {@code http.port}) to write a snapshot of all state to FILE, or to load
 * one into its empty database. The server does the work so that it applies whatever database
 * the server uses, the embedded one included.
 */
final class BackupCommand {

    private BackupCommand() {
    }

    /** Runs the command; returns the process exit status. */
    static int run(String verb, Path file, Settings settings) {
        int port;
        try {
            port = settings.getInt("http.port", 8080);
        } catch (SettingsException e) {
            System.err.println("ironbell: " + e.getMessage());
            return Main.EXIT_CONFIG;
        }
        String json = "{\"file\":" + JsonLineLayout.quote(new StringBuilder(), file.toAbsolutePath().normalize().toString()) + "}";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/" + verb))
                .timeout(Duration.ofMinutes(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                System.out.println(r.body());
                return 0;
            }
            System.err.println("ironbell " + verb + ": " + r.statusCode() + " " + r.body());
            return r.statusCode() == 404 && r.body().contains("no route") ? 69 : 1;
        } catch (ConnectException e) {
            System.err.println("ironbell " + verb + ": no server answers on 127.0.0.1:" + port
                    + "; start it with `ironbell server` (the server reads and writes the database)");
            return 69;
        } catch (IOException e) {
            System.err.println("ironbell " + verb + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
