package io.ironbell.ipxe.internal;

import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Files for booting over HTTP, streamed from disk with Range requests answered:
 * {@code /ipxe/binaries/{name}} (the iPXE binaries, for UEFI HTTP Boot clients) and
 * {@code /artifacts/*} (the in-memory OS, OS images).
 */
@Component(service = HttpRoute.class, configurationPid = FileRoutes.PID)
@HttpRouteService(path = {"/ipxe/binaries/{name}", "/artifacts/*"}, plain = true)
@Designate(ocd = FileRoutes.Config.class)
public final class FileRoutes implements HttpRoute {

    static final String PID = "io.ironbell.artifacts";

    @ObjectClassDefinition(name = "Ironbell artifacts", description = "artifacts.* keys")
    public @interface Config {
        @AttributeDefinition(description = "directory served under /artifacts; relative to the distribution's home")
        String dir() default "data/artifacts";

        @AttributeDefinition(description = "directory of the iPXE binaries served under /ipxe/binaries")
        String ipxeBinaries() default "/usr/lib/ipxe";
    }

    private final Path artifacts;
    private final Path binaries;

    @Activate
    public FileRoutes(Config config, org.osgi.framework.BundleContext context) {
        String home = context.getProperty("ironbell.home");
        Path dir = Path.of(config.dir());
        this.artifacts = (dir.isAbsolute() || home == null ? dir : Path.of(home).resolve(dir)).toAbsolutePath().normalize();
        this.binaries = Path.of(config.ipxeBinaries()).toAbsolutePath().normalize();
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        String name = r.pathParams().get("name");
        if (name != null) {
            return HttpResponse.file(confined(binaries, name), "application/octet-stream");
        }
        return HttpResponse.file(confined(artifacts, r.pathParams().getOrDefault("*", "")), "application/octet-stream");
    }

    /** A file under {@code dir}, or 404 for anything that escapes it. */
    static Path confined(Path dir, String rest) throws HttpException {
        Path p = dir.resolve(rest).normalize();
        if (rest.isEmpty() || !p.startsWith(dir) || !Files.isRegularFile(p)) {
            throw HttpException.notFound("no such file: " + rest);
        }
        return p;
    }
}
