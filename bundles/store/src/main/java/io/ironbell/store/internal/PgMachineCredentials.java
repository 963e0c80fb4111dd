package io.ironbell.store.internal;

import io.ironbell.api.auth.MachineCredentials;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Machine credentials in PostgreSQL. A boot token is {@code ibb_<payload>.<mac>}: the payload
 * (base64url) holds its expiry, a random nonce and the hardware id; the MAC is HMAC-SHA256 of it
 * under a key all server instances share ({@code server_secret}), so any instance can issue one
 * in memory and any can check it. Exchanging inserts a row keyed by the nonce, so a token is
 * exchanged once; the session token is {@code ibm_<nonce>_<secret>}, its secret kept as a SHA-256.
 * Sessions slide: use moves the expiry on (written at most every 15 s), so a long workflow keeps
 * its session and a machine that went quiet loses it. While a session is in use, its machine's
 * boot tokens are not exchanged ({@link #LIVE_WINDOW}).
 */
@Component(service = MachineCredentials.class)
public final class PgMachineCredentials implements MachineCredentials {

    /** How long a boot token may wait for its exchange: the in-memory OS downloads and boots in minutes. */
    static final Duration BOOT_TOKEN_LIFETIME = Duration.ofHours(1);
    /** How long a session lasts without use. */
    static final Duration SESSION_LIFETIME = Duration.ofHours(24);
    /** How long an authenticated session is believed without asking the database (a revocation takes this long to bite). */
    private static final Duration CACHE = Duration.ofSeconds(10);
    /** How stale the stored last use may get: a use is written at most this often (plus {@link #CACHE}). */
    private static final Duration USE_RESOLUTION = Duration.ofSeconds(15);
    /**
     * A session used within this window makes a new exchange for its machine fail: whoever took the
     * machine's address and fetched a fresh boot script cannot take over a worker that is at work
     * (it polls or reports every few seconds). A machine that really rebooted waits this long at most.
     */
    static final Duration LIVE_WINDOW = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(PgMachineCredentials.class);
    private static final Pattern BOOT = Pattern.compile("ibb_([A-Za-z0-9_-]{36,600})\\.([A-Za-z0-9_-]{43})");
    private static final Pattern SESSION = Pattern.compile("ibm_([A-Za-z0-9_-]{22})_([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String KEY_NAME = "machine-boot";
    private static final String USED = "used";

    private final Database db;
    private final HardwareLookup hardware;
    private volatile byte[] key;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Session session, byte[] hash, Instant checked) {
    }

    @Activate
    public PgMachineCredentials(@Reference Database db, @Reference HardwareLookup hardware) {
        this.db = db;
        this.hardware = hardware;
        try {
            key();
        } catch (StoreException e) {
            // the database may not be connected yet: the key is read at the first use instead
            LOG.debug("machine credentials: the shared key is read later: {}", e.getMessage());
        }
    }

    /** The key all instances share: made by the first instance that asks, read by the others; read once. */
    private byte[] key() throws StoreException {
        byte[] k = key;
        if (k == null) {
            byte[] fresh = random(32);
            k = db.tx(s -> {
                Mappers.MachineSessionSql sql = s.getMapper(Mappers.MachineSessionSql.class);
                sql.offerSecret(KEY_NAME, fresh);
                return (byte[]) sql.secret(KEY_NAME).get("value");
            });
            key = k;
        }
        return k;
    }

    @Override
    public String issueBootToken(String hardwareId) throws StoreException {
        byte[] id = hardwareId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(1 + 8 + 16 + id.length);
        payload.put((byte) 1).putLong(Instant.now().plus(BOOT_TOKEN_LIFETIME).getEpochSecond()).put(random(16)).put(id);
        byte[] p = payload.array();
        return "ibb_" + b64(p) + "." + b64(hmac(key(), p));
    }

    @Override
    public Optional<String> bootTokenHardware(String bootToken) {
        Matcher m = BOOT.matcher(bootToken == null ? "" : bootToken.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            byte[] p = Base64.getUrlDecoder().decode(m.group(1));
            if (p.length < 26 || p[0] != 1 || !MessageDigest.isEqual(hmac(key(), p), Base64.getUrlDecoder().decode(m.group(2)))) {
                return Optional.empty();
            }
            Instant expires = Instant.ofEpochSecond(ByteBuffer.wrap(p, 1, 8).getLong());
            return Instant.now().isAfter(expires) ? Optional.empty() : Optional.of(new String(p, 25, p.length - 25, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | StoreException e) {
            return Optional.empty();
        }
    }

    @Override
    public Session exchange(String bootToken, InetAddress from) throws Refused, StoreException {
        Matcher m = BOOT.matcher(bootToken == null ? "" : bootToken.trim());
        if (!m.matches()) {
            throw new Refused("not a boot token (ibb_...)");
        }
        byte[] p;
        try {
            p = Base64.getUrlDecoder().decode(m.group(1));
        } catch (IllegalArgumentException e) {
            throw new Refused("not a boot token: " + e.getMessage());
        }
        if (!MessageDigest.isEqual(hmac(key(), p), Base64.getUrlDecoder().decode(m.group(2))) || p.length < 26 || p[0] != 1) {
            throw new Refused("the boot token was not issued by this installation (or was altered)");
        }
        ByteBuffer b = ByteBuffer.wrap(p);
        b.get();
        Instant expires = Instant.ofEpochSecond(b.getLong());
        byte[] nonceBytes = new byte[16];
        b.get(nonceBytes);
        String hardwareId = new String(p, 25, p.length - 25, StandardCharsets.UTF_8);
        String nonce = b64(nonceBytes);
        if (Instant.now().isAfter(expires)) {
            throw new Refused("the boot token expired at " + expires + "; boot the machine again for a new one");
        }
        Optional<Hardware> hw = hardware.byId(hardwareId);
        if (hw.isEmpty()) {
            throw new Refused("no hardware " + hardwareId + " (deleted since the machine booted)");
        }
        // the address is a second condition, not the credential: a token sniffed from the plain-HTTP
        // boot script is worth nothing from anywhere else, and from the machine's own address only
        // until the machine itself exchanges it
        if (!hardware.byIp(from).map(Hardware::id).filter(hardwareId::equals).isPresent()) {
            throw new Refused("address " + from.getHostAddress() + " is not an address of hardware " + hardwareId);
        }
        String secret = b64(random(32));
        Instant sessionExpires = Instant.now().plus(SESSION_LIFETIME);
        String busy;
        try {
            busy = db.tx(s -> {
                Mappers.MachineSessionSql sql = s.getMapper(Mappers.MachineSessionSql.class);
                if (sql.byNonce(nonce) != null) {
                    return USED;
                }
                List<Map<String, Object>> live = sql.live(hardwareId, Rows.timestamp(Instant.now().minus(LIVE_WINDOW)));
                if (!live.isEmpty()) {
                    return "hardware " + hardwareId + " has a session in use (last " + Rows.instant(live.get(0), "last_used_at")
                            + " from " + Rows.str(live.get(0), "address") + "): a machine that rebooted gets its session after "
                            + LIVE_WINDOW.toSeconds() + " s without use";
                }
                sql.insert(nonce, hardwareId, sha256(secret), from.getHostAddress(), Rows.timestamp(sessionExpires));
                sql.revokeOthers(hardwareId, nonce);
                sql.trim();
                return null;
            });
        } catch (StoreException e) {
            if (e.reason() == Reason.CONFLICT) {
                busy = USED; // a parallel exchange of the same token won
            } else {
                throw e;
            }
        }
        if (USED.equals(busy)) {
            LOG.warn("machine credentials: a boot token of hardware {} was presented again from {} after its exchange: a restarted "
                    + "worker without its session, or someone replaying a sniffed boot script", hardwareId, from.getHostAddress());
            throw new Refused("the boot token was used already; a machine exchanges its boot token once (boot it again for a new one)");
        }
        if (busy != null) {
            LOG.warn("machine credentials: refused an exchange from {}: {}; if the machine did not reboot, someone who has its address "
                    + "(and a fresh boot script) tried to take over its session", from.getHostAddress(), busy);
            throw new Refused(busy);
        }
        cache.clear(); // the sessions this exchange revoked must not be believed from the cache
        LOG.info("machine credentials: hardware {} at {} exchanged its boot token for a session (until {})", hardwareId,
                from.getHostAddress(), sessionExpires);
        return new Session(hardwareId, "ibm_" + nonce + "_" + secret, sessionExpires);
    }

    @Override
    public Optional<Session> authenticate(String sessionToken) throws StoreException {
        Matcher m = SESSION.matcher(sessionToken == null ? "" : sessionToken.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        String nonce = m.group(1);
        byte[] hash = sha256(m.group(2));
        Instant now = Instant.now();
        Cached c = cache.get(nonce);
        if (c != null && c.checked().plus(CACHE).isAfter(now) && MessageDigest.isEqual(c.hash(), hash)) {
            return Optional.of(c.session());
        }
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.MachineSessionSql.class).byNonce(nonce));
        if (row == null || !MessageDigest.isEqual((byte[]) row.get("session_sha256"), hash) || row.get("revoked_at") != null) {
            cache.remove(nonce);
            return Optional.empty();
        }
        Instant expires = Rows.instant(row, "expires_at");
        if (!expires.isAfter(now)) {
            cache.remove(nonce);
            return Optional.empty();
        }
        if (Rows.instant(row, "last_used_at").isBefore(now.minus(USE_RESOLUTION))) {
            Instant later = now.plus(SESSION_LIFETIME);
            db.tx(s -> s.getMapper(Mappers.MachineSessionSql.class).used(nonce, Rows.timestamp(later)));
            expires = later;
        }
        Session session = new Session(Rows.str(row, "hardware_id"), null, expires);
        if (cache.size() > 100_000) {
            cache.clear();
        }
        cache.put(nonce, new Cached(session, hash, now));
        return Optional.of(session);
    }

    private static byte[] hmac(byte[] key, byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
