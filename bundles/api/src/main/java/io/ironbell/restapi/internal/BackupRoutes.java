package io.ironbell.restapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.SnapshotService;
import io.ironbell.api.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/backup} and {@code POST /api/v1/restore} with {@code {"file": "NAME"}}:
 * what {@code ironbell backup} and {@code ironbell restore} ask of the server. Admin token only,
 * JSON only (a browser cannot send either across origins without a preflight), and only files in
 * the backup directory ({@code backup.dir}): a backup is created there, never over an existing
 * file, readable by the server's user alone (0600), and on disk (fsynced) before it gets its
 * name; a restore reads only from there.
 */
@Component(service = HttpRoute.class, configurationPid = BackupRoutes.PID)
@Designate(ocd = BackupRoutes.Config.class)
@HttpRouteService(path = {"/api/v1/backup", "/api/v1/restore"}, methods = "POST")
public final class BackupRoutes implements HttpRoute {

    static final String PID = "io.ironbell.backup";

    private static final Logger LOG = LoggerFactory.getLogger(BackupRoutes.class);

    @ObjectClassDefinition(name = "Ironbell backups", description = "backup.* keys")
    public @interface Config {
        @AttributeDefinition(description = "the directory backups are written to and restored from; relative to the distribution")
        String dir() default "data/backups";
    }

    private final Auth auth;
    private final Audit audit;
    private final SnapshotService snapshots;
    private final Path dir;

    @Activate
    public BackupRoutes(@Reference Auth auth, @Reference Audit audit, @Reference SnapshotService snapshots, Config config,
                        BundleContext context) {
        this.auth = auth;
        this.audit = audit;
        this.snapshots = snapshots;
        String home = context.getProperty("ironbell.home");
        Path d = Path.of(config.dir());
        this.dir = (d.isAbsolute() || home == null ? d : Path.of(home).resolve(d)).toAbsolutePath().normalize();
    }

    @Override
    public HttpResponse handle(HttpRequest request) throws HttpException {
        Auth.Caller caller = auth.requireAdmin(request);
        String type = request.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (!type.equals("application/json") && !type.startsWith("application/json;")) {
            throw new HttpException(415, "unsupported_media_type", "backup and restore take application/json, was '" + type + "'");
        }
        boolean backup = request.path().endsWith("/backup");
        Path file = file(request);
        long t0 = System.nanoTime();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("file", file.toString());
        try {
            Map<String, Long> tables;
            if (backup) {
                tables = write(file);
                body.put("bytes", Files.size(file));
            } else {
                try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                    tables = snapshots.restore(in);
                }
            }
            body.put("tables", tables);
            body.put("millis", (System.nanoTime() - t0) / 1_000_000);
            LOG.info("{} {}: {}", backup ? "backup written to" : "restored from", file, tables);
            audit.record(caller, backup ? "backup" : "restore", file.getFileName().toString());
            return HttpResponse.json(200, body);
        } catch (FileAlreadyExistsException e) {
            throw new HttpException(409, "conflict", file + " exists; backups never replace a file: name another");
        } catch (NoSuchFileException e) {
            throw new HttpException(404, "not_found", "no such file: " + file);
        } catch (IOException e) {
            throw new HttpException(500, "io_error", "cannot use " + file + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (StoreException e) {
            throw switch (e.reason()) {
                case CONFLICT -> new HttpException(409, "conflict", e.getMessage());
                case INVALID -> new HttpException(422, "invalid_backup", file + ": " + e.getMessage());
                default -> new HttpException(503, "unavailable", e.getMessage());
            };
        }
    }

    /** Writes the backup beside its name, 0600, fsynced, then renames it: never over an existing file. */
    private Map<String, Long> write(Path file) throws IOException, StoreException, HttpException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Path part = file.resolveSibling("." + file.getFileName() + ".part");
        Map<String, Long> tables;
        try (FileChannel ch = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
             OutputStream out = Channels.newOutputStream(ch)) {
            tables = snapshots.backup(out);
            out.flush();
            ch.force(true);
        } catch (IOException | StoreException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        try {
            // a link, not a rename: it fails when the name was taken meanwhile, where a rename would replace it
            Files.createLink(file, part);
        } finally {
            Files.deleteIfExists(part);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // not every file system syncs a directory; the file itself is on disk
        }
        return tables;
    }

    /** The named file, which must be in the backup directory (a bare name is taken there). */
    private Path file(HttpRequest request) throws HttpException {
        JsonNode json;
        try {
            json = Json.mapper().readTree(request.body());
        } catch (IOException e) {
            throw HttpException.badRequest("body must be JSON like {\"file\": \"nightly.ironbell.gz\"}: " + e.getMessage());
        }
        if (json == null || !json.path("file").isTextual() || json.path("file").asText().isBlank()) {
            throw new HttpException(400, "invalid_field", "field 'file' is required: a file name in " + dir);
        }
        String name = json.path("file").asText();
        Path p = dir.resolve(name).normalize();
        if (!p.getParent().equals(dir) || p.getFileName().toString().startsWith(".")) {
            throw new HttpException(400, "invalid_field", "field 'file' must name a file directly in the backup directory " + dir
                    + " (backup.dir), was '" + name + "'");
        }
        return p;
    }
}
