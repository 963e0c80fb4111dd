package io.ironbell.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** A plain HTTP server for tests: the files of a directory, with an ETag, and 404 for the rest. */
public final class FileServer {

    private FileServer() {
    }

    /** Serves {@code dir} on a free port of 127.0.0.1; stop it with {@code stop(0)}. */
    public static HttpServer serve(Path directory) throws IOException {
        Path dir = directory.toAbsolutePath().normalize();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            Path f = dir.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
            if (!f.startsWith(dir) || !Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] b = Files.readAllBytes(f);
            ex.getResponseHeaders().add("ETag", "\"" + b.length + "\"");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        http.start();
        return http;
    }
}
