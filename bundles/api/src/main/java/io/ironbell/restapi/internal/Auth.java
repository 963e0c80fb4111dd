package io.ironbell.restapi.internal;

import io.ironbell.api.auth.MachineCredentials;
import io.ironbell.api.auth.Role;
import io.ironbell.api.auth.TokenStore;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.store.StoreException;
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
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the API. API endpoints need {@code Authorization: Bearer <token>}: the admin token
 * ({@code api.token}, or with none configured the one generated into {@code data/api-token}, mode
 * 600, at first start), or a named token of the {@link TokenStore} whose role covers what the
 * endpoint needs (viewer reads, operator runs workflows, admin changes everything). Worker
 * endpoints serve a machine only: it shows the session its boot token gave
 * ({@link MachineCredentials}) and calls from an address of its hardware record (or the caller
 * holds an admin token, as tests and operators may).
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

    /**
     * Who made an API request: the token's name ({@value #ADMIN_NAME} for the generated admin
     * token), the role it acts with, and the address it came from.
     */
    record Caller(String name, Role role, String address) {
    }

    /** The name the generated (or configured) admin token acts under. */
    static final String ADMIN_NAME = "admin";

    /**
     * Named tokens, when the store runs: without it only the admin token authenticates.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TokenStore tokens;

    /** Passes when the request carries a valid token whose role covers {@code least}; else 401 or 403. */
    Caller require(HttpRequest r, Role least) throws HttpException {
        Caller c = caller(r).orElseThrow(() -> new HttpException(401, "unauthorized", r.header("Authorization").isPresent()
                ? "the bearer token is wrong, expired or revoked" : "this endpoint needs Authorization: Bearer <token> (see data/api-token)"));
        if (!c.role().covers(least)) {
            throw new HttpException(403, "forbidden", "token " + c.name() + " has the role " + c.role().id() + "; this needs "
                    + least.id());
        }
        return c;
    }

    /** Passes when the request carries the admin token or an admin's named token; else 401 or 403. */
    Caller requireAdmin(HttpRequest r) throws HttpException {
        return require(r, Role.ADMIN);
    }

    boolean isAdmin(HttpRequest r) {
        try {
            return caller(r).map(c -> c.role() == Role.ADMIN).orElse(false);
        } catch (HttpException e) {
            return false;
        }
    }

    /** The caller the request's bearer token names, or empty when it names none that is valid. */
    Optional<Caller> caller(HttpRequest r) throws HttpException {
        Optional<String> h = r.header("Authorization");
        if (h.isEmpty() || !h.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String presented = h.get().substring(7).trim();
        String address = r.remoteAddress().getAddress().getHostAddress();
        if (MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
            return Optional.of(new Caller(ADMIN_NAME, Role.ADMIN, address));
        }
        TokenStore named = tokens;
        if (named == null || !presented.startsWith("ib_")) {
            return Optional.empty();
        }
        try {
            return named.authenticate(presented).map(t -> new Caller(t.name(), t.role(), address));
        } catch (StoreException e) {
            throw new HttpException(503, "unavailable", "tokens cannot be checked now: " + e.getMessage());
        }
    }

    /** Machine sessions, when the store runs: without it only admins reach the worker API. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile MachineCredentials machines;

    /** The store of machine credentials, or 503 while it is away. */
    MachineCredentials machines() throws HttpException {
        MachineCredentials m = machines;
        if (m == null) {
            throw new HttpException(503, "unavailable", "machine credentials cannot be checked now: the store is not running");
        }
        return m;
    }

    /**
     * Passes when the caller is the machine with this MAC or an admin; returns the MAC. A machine
     * shows the session its boot token was exchanged for ({@code Authorization: Bearer ibm_...}),
     * and must call from an address of its hardware record as well: the session is the credential,
     * the address a second condition.
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
        String presented = r.header("Authorization").filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim()).orElse("");
        if (!presented.startsWith("ibm_")) {
            throw new HttpException(401, "unauthorized", "the worker API needs the machine's session (Authorization: Bearer ibm_...): "
                    + "exchange the boot token of the kernel command line (ironbell.boot_token=) at POST /api/v1/machines/session");
        }
        MachineCredentials.Session session;
        try {
            session = machines().authenticate(presented).orElseThrow(() -> new HttpException(401, "unauthorized",
                    "the machine session is unknown, expired or revoked (a newer boot of the machine replaces it)"));
        } catch (StoreException e) {
            throw new HttpException(503, "unavailable", "machine sessions cannot be checked now: " + e.getMessage());
        }
        Hardware hw = hardware.byId(session.hardwareId()).orElseThrow(() -> new HttpException(403, "forbidden",
                "the session's hardware " + session.hardwareId() + " is gone"));
        if (hw.interfaceByMac(mac).isEmpty()) {
            throw new HttpException(403, "forbidden", "the session of hardware " + hw.id() + " may not act for MAC " + mac
                    + "; workers may only ask for their own work");
        }
        Optional<Hardware> at = hardware.byIp(r.remoteAddress().getAddress());
        if (at.isEmpty() || !at.get().id().equals(hw.id())) {
            throw new HttpException(403, "forbidden", "address " + r.remoteAddress().getAddress().getHostAddress()
                    + " is not an address of hardware " + hw.id() + ", whose session this is");
        }
        return mac;
    }
}
