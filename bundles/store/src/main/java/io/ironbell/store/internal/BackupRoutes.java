package io.ironbell.store.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/backup} and {@code POST /api/v1/restore} with {@code {"file": "/path"}}:
 * what {@code ironbell backup FILE} and {@code ironbell restore FILE} ask of the server on the
 * same machine. The file is written and read by the server, so these answer only requests
 * from the loopback interface.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = {"/api/v1/backup", "/api/v1/restore"}, methods = "POST")
public final class BackupRoutes implements HttpRoute {

    private static final Logger LOG = LoggerFactory.getLogger(BackupRoutes.class);

    private final Database db;

    @Activate
    public BackupRoutes(@Reference Database db) {
        this.db = db;
    }

    @Override
    public HttpResponse handle(HttpRequest request) throws HttpException {
        if (!request.remoteAddress().getAddress().isLoopbackAddress()) {
            throw new HttpException(403, "forbidden", "backup and restore are served to this machine only");
        }
        Path file = file(request);
        long t0 = System.nanoTime();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("file", file.toString());
        try (Connection c = db.connection()) {
            Map<String, Long> tables;
            if (request.path().endsWith("/backup")) {
                Path part = file.resolveSibling(file.getFileName() + ".part");
                try (OutputStream out = Files.newOutputStream(part)) {
                    tables = Snapshot.backup(c, out);
                }
                Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                body.put("bytes", Files.size(file));
            } else {
                try (InputStream in = Files.newInputStream(file)) {
                    tables = Snapshot.restore(c, in, db.migrations());
                }
                db.resyncAll();
            }
            body.put("tables", tables);
            body.put("millis", (System.nanoTime() - t0) / 1_000_000);
            LOG.info("{} {}: {}", request.path().endsWith("/backup") ? "backup written to" : "restored from", file, tables);
            return HttpResponse.json(200, body);
        } catch (NoSuchFileException e) {
            throw new HttpException(404, "not_found", "no such file: " + file);
        } catch (IllegalArgumentException e) {
            throw new HttpException(409, "conflict", e.getMessage());
        } catch (java.util.zip.ZipException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new HttpException(422, "invalid_backup", file + " is not an Ironbell backup: " + e.getMessage());
        } catch (IOException e) {
            throw new HttpException(500, "io_error", "cannot use " + file + ": " + e.getMessage());
        } catch (SQLException e) {
            throw new HttpException(503, "unavailable", "database: " + e.getMessage());
        } catch (StoreException e) {
            throw new HttpException(503, "unavailable", e.getMessage());
        }
    }

    private static Path file(HttpRequest request) throws HttpException {
        JsonNode json;
        try {
            json = Json.mapper().readTree(request.body());
        } catch (IOException e) {
            throw HttpException.badRequest("body must be JSON like {\"file\": \"/path\"}: " + e.getMessage());
        }
        if (json == null || !json.path("file").isTextual() || json.path("file").asText().isBlank()) {
            throw new HttpException(400, "invalid_field", "field 'file' is required: an absolute path");
        }
        Path p = Path.of(json.path("file").asText());
        if (!p.isAbsolute()) {
            throw new HttpException(400, "invalid_field", "field 'file' must be an absolute path, was " + p);
        }
        return p;
    }
}
