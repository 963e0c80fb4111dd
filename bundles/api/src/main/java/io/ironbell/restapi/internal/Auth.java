package io.ironbell.restapi.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Optional;
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
 * Who may call the API. Admin endpoints need {@code Authorization: Bearer <api.token>}; with
 * no {@code api.token} configured the server generates one into {@code data/api-token} (mode
 * 600) on first start and keeps it. Worker endpoints serve a machine only: the caller's source
 * address must be an address of the hardware whose MAC the path names (or the caller holds the
 * admin token, as tests and operators may).
 */
@Component(service = Auth.class, configurationPid = Auth.PID)
@Designate(ocd = Auth.Config.class)
public final class Auth {

    static final String PID = "io.ironbell.api";
    static final String TOKEN_FILE = "api-token";

    private static final Logger LOG = LoggerFactory.getLogger(Auth.class);

    @ObjectClassDefinition(name = "Ironbell REST API", description = "api.* keys")
    public @interface Config {
        @AttributeDefinition(description = "admin bearer token; empty: generated into data/api-token")
        String token() default "";
    }

    private final byte[] token;
    private final HardwareLookup hardware;

    @Activate
    public Auth(Config config, BundleContext context, @Reference HardwareLookup hardware) throws IOException {
        this.hardware = hardware;
        String t = config.token() == null ? "" : config.token().trim();
        if (t.isEmpty()) {
            t = generated(tokenFile(context));
        } else if (t.length() < 16) {
            throw new IllegalArgumentException("api.token must be at least 16 characters");
        }
        this.token = t.trim().getBytes(StandardCharsets.UTF_8);
    }

    /** Where the generated token lives: the distribution's data/, else this bundle's data area. */
    static Path tokenFile(BundleContext context) {
        String home = context.getProperty("ironbell.home");
        return home != null ? Path.of(home, "data", TOKEN_FILE) : context.getDataFile(TOKEN_FILE).toPath();
    }

    private static String generated(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            refuseLoosePermissions(file);
            String t = Files.readString(file).trim();
            if (t.length() >= 16) {
                return t;
            }
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String t = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(TOKEN_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        // created 0600: never readable by others, not even for the moment before a chmod
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, t + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LOG.info("generated the API admin token into {} (set api.token to choose one)", file);
        return t;
    }

    /** A token file that others may read is a token others may have: refused, as ssh refuses such a key. */
    static void refuseLoosePermissions(Path file) throws IOException {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
        p.retainAll(EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE));
        if (!p.isEmpty()) {
            throw new IOException(file + " is readable or writable by others (" + PosixFilePermissions.toString(Files.getPosixFilePermissions(file))
                    + "): chmod 600 it, and delete it (a new token is generated) if others may have read it");
        }
    }

    /** Passes when the request carries the admin token; else 401. */
    void requireAdmin(HttpRequest r) throws HttpException {
        if (!isAdmin(r)) {
            throw new HttpException(401, "unauthorized", r.header("Authorization").isPresent()
                    ? "the bearer token is wrong" : "this endpoint needs Authorization: Bearer <token> (see data/api-token)");
        }
    }

    boolean isAdmin(HttpRequest r) {
        Optional<String> h = r.header("Authorization");
        if (h.isEmpty() || !h.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, h.get().substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Passes when the caller is the machine with this MAC (by source address) or an admin;
     * returns the MAC.
     */
    MacAddress requireWorker(HttpRequest r, String macText) throws HttpException {
        MacAddress mac;
        try {
            mac = MacAddress.parse(macText);
        } catch (IllegalArgumentException e) {
            throw new HttpException(400, "invalid_field", "worker id must be a MAC address: " + e.getMessage());
        }
        if (isAdmin(r)) {
            return mac;
        }
        Optional<Hardware> caller = hardware.byIp(r.remoteAddress().getAddress());
        if (caller.isEmpty() || caller.get().interfaceByMac(mac).isEmpty()) {
            throw new HttpException(403, "forbidden", "address " + r.remoteAddress().getAddress().getHostAddress()
                    + " is not the machine with MAC " + mac + "; workers may only ask for their own work");
        }
        return mac;
    }
}
