package io.ironbell.metadata.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.protocol.support.RateLimit;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The EC2-compatible metadata service: {@code /latest/} and the dated versions cloud-init asks
 * for, with {@code meta-data/}, {@code user-data} and {@code vendor-data}; {@code GET /metadata}
 * with the whole hardware record (Tinkerbell's legacy shape); and IMDSv2 session tokens
 * ({@code PUT /latest/api/token}). The caller is the machine whose interface holds the request's
 * source address ({@code X-Forwarded-For} only from {@code metadata.trustedProxies}): no machine
 * reads another's metadata. Answered from the in-memory hardware index on the network thread, so
 * a changed record shows at once. Each caller has a rate ({@code metadata.ratePerAddress} a second
 * after a burst of {@code metadata.burstPerAddress}, far above cloud-init's crawl at boot); beyond
 * it, 429 with {@code Retry-After}.
 */
@Component(configurationPid = MetadataRoutes.PID, service = {HttpRoute.class, ReadinessCheck.class},
        property = ReadinessCheck.NAME + "=metadata")
@HttpRouteService(path = {"/metadata", "/latest/*", "/2009-04-04/*", "/2016-09-02/*", "/2018-09-24/*", "/2021-03-23/*"},
        methods = {"GET", "PUT"}, inline = true, plain = true)
@Designate(ocd = MetadataRoutes.Config.class)
public final class MetadataRoutes implements HttpRoute, ReadinessCheck {

    static final String PID = "io.ironbell.metadata";
    static final String TOKEN = "X-aws-ec2-metadata-token";
    static final String TOKEN_TTL = "X-aws-ec2-metadata-token-ttl-seconds";
    static final int MAX_TTL_SECONDS = 21_600;
    static final int MAX_TOKENS = 100_000;
    static final int MAX_TOKENS_PER_CALLER = 10;

    @ObjectClassDefinition(name = "Ironbell metadata", description = "metadata.* keys")
    public @interface Config {
        @AttributeDefinition(description = "address blocks (CIDR, comma-separated) of proxies whose X-Forwarded-For is believed")
        String trustedProxies() default "";

        @AttributeDefinition(description = "whether requests need an IMDSv2 session token")
        boolean requireToken() default false;

        @AttributeDefinition(description = "requests a second from one caller once its burst is spent; beyond, 429; 0: no limit")
        int ratePerAddress() default DEFAULT_RATE;

        @AttributeDefinition(description = "requests from one caller at once before metadata.ratePerAddress applies")
        int burstPerAddress() default DEFAULT_BURST;
    }

    static final int DEFAULT_RATE = 50;
    static final int DEFAULT_BURST = 500;
    /** Most callers whose rates are kept at once; see {@link RateLimit}. */
    static final int MAX_RATED_CALLERS = 100_000;

    /** What a version directory lists; user-data and vendor-data answer 404 when the record has none. */
    static final String VERSION_LISTING = "meta-data/\nuser-data\nvendor-data";

    private final HardwareLookup lookup;
    private final List<Cidr> trusted;
    private final boolean requireToken;
    private final String problem;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final RateLimit<InetAddress> perCaller;
    private final int rate;

    /** An IMDSv2 token: good for one caller address until it expires. */
    private record Session(InetAddress caller, long expiresNanos) {
    }

    @Activate
    public MetadataRoutes(Config config, @Reference HardwareLookup lookup) {
        this(config, lookup, System::nanoTime);
    }

    MetadataRoutes(Config config, HardwareLookup lookup, LongSupplier clock) {
        this.lookup = lookup;
        this.requireToken = config.requireToken();
        List<Cidr> blocks;
        String why = null;
        try {
            blocks = Cidr.parseList(config.trustedProxies());
        } catch (IllegalArgumentException e) {
            // fail closed: trust no proxy, and say why on /readyz
            blocks = List.of();
            why = "metadata.trustedProxies: " + e.getMessage();
        }
        int rate = config.ratePerAddress();
        int burst = config.burstPerAddress();
        if (rate < 0 || burst < 1) {
            // fail closed: keep the default limit, and say why on /readyz
            why = (why == null ? "" : why + "; ") + "metadata.ratePerAddress must be 0 (no limit) or more and metadata.burstPerAddress "
                    + "1 or more, were " + rate + " and " + burst;
            rate = DEFAULT_RATE;
            burst = DEFAULT_BURST;
        }
        this.trusted = blocks;
        this.problem = why;
        this.rate = rate;
        this.perCaller = new RateLimit<>(rate, burst, MAX_RATED_CALLERS, clock);
    }

    @Override
    public Readiness check() {
        return problem == null ? Readiness.up() : Readiness.down(problem);
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        InetAddress caller = caller(r);
        long wait = perCaller.take(caller);
        if (wait > 0) {
            long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
            Map<String, String> body = new java.util.LinkedHashMap<>();
            body.put("code", "too_many_requests");
            body.put("message", "more than " + rate + " metadata requests a second from " + caller.getHostAddress()
                    + "; try again in " + seconds + " s");
            return HttpResponse.json(429, body).withHeader("Retry-After", Long.toString(seconds));
        }
        if (r.method().equals("PUT")) {
            return token(r);
        }
        if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
            throw new HttpException(405, "method_not_allowed", r.method() + " is not allowed on " + r.path());
        }
        checkToken(r, caller);
        Hardware hw = lookup.byIp(caller).orElseThrow(() -> HttpException.notFound("no machine has the address " + caller.getHostAddress()));
        if (r.path().equals("/metadata")) {
            return HttpResponse.json(200, hw);
        }
        String rest = r.pathParams().getOrDefault("*", "");
        HardwareInterface nic = interfaceWith(hw, caller);
        if (rest.isEmpty()) {
            return text(VERSION_LISTING);
        }
        if (rest.equals("user-data") || rest.equals("vendor-data")) {
            var instance = hw.metadata() == null ? null : hw.metadata().instance();
            String data = instance == null ? null : rest.equals("user-data") ? instance.userdata() : instance.vendordata();
            if (data == null) {
                throw HttpException.notFound(rest + " is not set for this machine");
            }
            return HttpResponse.of(200, "application/octet-stream", data.getBytes(StandardCharsets.UTF_8));
        }
        if (!rest.equals("meta-data") && !rest.startsWith("meta-data/")) {
            throw HttpException.notFound("no such metadata: " + rest);
        }
        Object node = Ec2Tree.metaData(hw, nic);
        String[] parts = rest.split("/");
        for (int i = 1; i < parts.length; i++) {
            node = node instanceof Map<?, ?> dir ? Ec2Tree.child(cast(dir), parts[i]) : null;
            if (node == null) {
                throw HttpException.notFound("no such metadata: " + rest);
            }
        }
        return node instanceof Map<?, ?> dir ? text(Ec2Tree.listing(cast(dir))) : text((String) node);
    }

    /** PUT /latest/api/token: a session token for the caller, as EC2's IMDSv2 gives. */
    private HttpResponse token(HttpRequest r) throws HttpException {
        if (!r.path().equals("/latest/api/token")) {
            throw new HttpException(405, "method_not_allowed", "PUT is only allowed on /latest/api/token");
        }
        if (r.header("X-Forwarded-For").isPresent()) {
            // as EC2 does: a token must not be handed out through a proxy
            throw new HttpException(403, "forbidden", "token requests through a proxy (X-Forwarded-For) are refused");
        }
        String ttlText = r.header(TOKEN_TTL).orElseThrow(() -> HttpException.badRequest("header " + TOKEN_TTL + " is required"));
        int ttl;
        try {
            ttl = Integer.parseInt(ttlText.trim());
        } catch (NumberFormatException e) {
            throw HttpException.badRequest(TOKEN_TTL + " must be a whole number of seconds, was '" + ttlText + "'");
        }
        if (ttl < 1 || ttl > MAX_TTL_SECONDS) {
            throw HttpException.badRequest(TOKEN_TTL + " must be between 1 and " + MAX_TTL_SECONDS + ", was " + ttl);
        }
        InetAddress caller = r.remoteAddress().getAddress();
        lookup.byIp(caller).orElseThrow(() -> HttpException.notFound("no machine has the address " + caller.getHostAddress()));
        long now = System.nanoTime();
        sessions.values().removeIf(s -> s.expiresNanos() - now <= 0);
        // one machine cannot crowd out the others: its oldest token goes when it asks for more
        List<Map.Entry<String, Session>> own = sessions.entrySet().stream().filter(e -> e.getValue().caller().equals(caller))
                .sorted(java.util.Comparator.comparingLong(e -> e.getValue().expiresNanos())).toList();
        for (int i = 0; i <= own.size() - MAX_TOKENS_PER_CALLER; i++) {
            sessions.remove(own.get(i).getKey());
        }
        if (sessions.size() >= MAX_TOKENS) {
            throw new HttpException(503, "too_many_tokens", "too many live tokens; try again later");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        sessions.put(token, new Session(caller, now + ttl * 1_000_000_000L));
        return HttpResponse.of(200, "text/plain", token.getBytes(StandardCharsets.US_ASCII)).withHeader(TOKEN_TTL, Integer.toString(ttl));
    }

    /** A token, when given, must be live and the caller's; without one, only when tokens are not required. */
    private void checkToken(HttpRequest r, InetAddress caller) throws HttpException {
        Optional<String> given = r.header(TOKEN);
        if (given.isEmpty()) {
            if (requireToken) {
                throw new HttpException(401, "unauthorized", "a session token is required: PUT /latest/api/token first");
            }
            return;
        }
        Session s = sessions.get(given.get().trim());
        if (s == null || s.expiresNanos() - System.nanoTime() <= 0 || !s.caller().equals(r.remoteAddress().getAddress())) {
            if (s != null && s.expiresNanos() - System.nanoTime() <= 0) {
                sessions.remove(given.get().trim());
            }
            throw new HttpException(401, "unauthorized", "the session token is unknown, expired, or another caller's");
        }
    }

    /**
     * The machine's address: the peer's, or, when the peer is a trusted proxy, the last address
     * in X-Forwarded-For that is not itself a trusted proxy.
     */
    InetAddress caller(HttpRequest r) throws HttpException {
        InetAddress peer = r.remoteAddress().getAddress();
        List<String> xff = r.headers("X-Forwarded-For");
        if (xff.isEmpty() || !Cidr.any(trusted, peer)) {
            return peer;
        }
        // every line, in order: a proxy may add its own line instead of appending to the client's
        String[] hops = String.join(",", xff).split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            InetAddress a = Cidr.literal(hop);
            if (a == null) {
                throw HttpException.badRequest("X-Forwarded-For holds something that is not an address: " + hop);
            }
            if (!Cidr.any(trusted, a)) {
                return a;
            }
        }
        return peer;
    }

    private static HardwareInterface interfaceWith(Hardware hw, InetAddress caller) {
        String ip = caller.getHostAddress();
        for (HardwareInterface i : hw.interfaces()) {
            if (i.dhcp() != null && i.dhcp().ip() != null && ip.equals(i.dhcp().ip().address())) {
                return i;
            }
        }
        return hw.interfaces().isEmpty() ? null : hw.interfaces().get(0);
    }

    private static HttpResponse text(String body) {
        return HttpResponse.of(200, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
