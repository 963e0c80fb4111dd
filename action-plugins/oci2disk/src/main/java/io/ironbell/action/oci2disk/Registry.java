package io.ironbell.action.oci2disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.json.Json;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.client.Trust;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The small part of the OCI distribution API that pulling one artifact needs: manifests (and
 * indexes) by tag or digest, with anonymous, basic or bearer-token authentication, the token
 * fetched from the realm a 401 names. Blobs are downloaded by the caller, with
 * {@link #authorization()}.
 */
final class Registry {

    static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Reference ref;
    private final Optional<String> username;
    private final Optional<String> password;
    private final HttpClient http;
    private final SSLContext tls;
    private final ObjectMapper json = Json.mapper();
    private String authorization;

    /** A manifest as fetched: its bytes parsed, its media type, its digest. */
    record Manifest(JsonNode body, String mediaType, String digest) {
    }

    Registry(Reference ref, Optional<String> username, Optional<String> password, boolean skipVerify) throws ActionException {
        this.ref = ref;
        this.username = username;
        this.password = password;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NORMAL);
        this.tls = skipVerify ? Trust.insecure() : null; // SKIP_VERIFY: any certificate, any name
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
        if (username.isPresent() && password.isPresent()) {
            authorization = "Basic " + basic();
        }
    }

    /** The Authorization header value for blob downloads, if any. */
    Optional<String> authorization() {
        return Optional.ofNullable(authorization);
    }

    /** Sockets for blob downloads that skip TLS verification (SKIP_VERIFY), or null for the default. */
    javax.net.ssl.SSLSocketFactory tlsSockets() {
        return tls == null ? null : tls.getSocketFactory();
    }

    /** The URL of a blob. */
    URI blob(String digest) {
        return URI.create(ref.base() + "/v2/" + ref.repository() + "/blobs/" + digest);
    }

    /** Fetches a manifest or index by tag or digest, and checks its digest. */
    Manifest manifest(String tagOrDigest) throws ActionException, InterruptedException {
        URI uri = URI.create(ref.base() + "/v2/" + ref.repository() + "/manifests/" + tagOrDigest);
        HttpResponse<byte[]> r = get(uri, ACCEPT);
        if (r.statusCode() == 404) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "registry " + ref.host() + " has no " + ref.repository() + ":" + tagOrDigest
                    + " (404): " + brief(r));
        }
        if (r.statusCode() != 200) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "registry " + ref.host() + " answered " + r.statusCode() + " for the manifest of "
                    + ref.repository() + ":" + tagOrDigest + ": " + brief(r));
        }
        String digest = "sha256:" + sha256(r.body());
        if (tagOrDigest.startsWith("sha256:") && !tagOrDigest.equals(digest)) {
            throw new ActionException(Reason.CHECKSUM_MISMATCH, "the manifest " + tagOrDigest + " from " + ref.host() + " has digest " + digest);
        }
        Optional<String> claimed = r.headers().firstValue("Docker-Content-Digest");
        if (claimed.isPresent() && claimed.get().startsWith("sha256:") && !claimed.get().equals(digest)) {
            throw new ActionException(Reason.CHECKSUM_MISMATCH, "the manifest of " + ref.repository() + ":" + tagOrDigest + " has digest " + digest
                    + ", the registry says " + claimed.get());
        }
        try {
            JsonNode body = json.readTree(r.body());
            String type = body.path("mediaType").asText(r.headers().firstValue("Content-Type").orElse(""));
            return new Manifest(body, type.replaceAll(";.*$", "").trim(), digest);
        } catch (IOException e) {
            throw new ActionException(Reason.UNSUPPORTED, "the manifest of " + ref.repository() + ":" + tagOrDigest + " is not JSON: " + e.getMessage());
        }
    }

    /** A GET that authenticates when the registry asks (401 with WWW-Authenticate), once. */
    private HttpResponse<byte[]> get(URI uri, String accept) throws ActionException, InterruptedException {
        HttpResponse<byte[]> r = send(uri, accept);
        if (r.statusCode() == 401) {
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            if (challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
                authorization = "Bearer " + token(challenge);
            } else if (username.isPresent() && password.isPresent()) {
                authorization = "Basic " + basic();
            } else {
                throw new ActionException(Reason.SOURCE_UNAVAILABLE, "registry " + ref.host() + " wants credentials (401 " + challenge
                        + "): set REGISTRY_USERNAME and REGISTRY_PASSWORD");
            }
            r = send(uri, accept);
            if (r.statusCode() == 401) {
                throw new ActionException(Reason.SOURCE_UNAVAILABLE, "registry " + ref.host() + " refused the credentials (401)"
                        + (username.isPresent() ? " of " + username.get() : "") + ": " + brief(r));
            }
        }
        return r;
    }

    private HttpResponse<byte[]> send(URI uri, String accept) throws ActionException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", accept);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot reach registry " + ref.host() + " at " + uri + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** The token flow: GET realm?service=..&scope=.. (with basic credentials when given). */
    private String token(String challenge) throws ActionException, InterruptedException {
        Map<String, String> p = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            p.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        String realm = p.get("realm");
        if (realm == null) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "registry " + ref.host() + " asks for a token without a realm: " + challenge);
        }
        String scope = p.getOrDefault("scope", "repository:" + ref.repository() + ":pull");
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?").append("scope=").append(enc(scope));
        if (p.containsKey("service")) {
            url.append("&service=").append(enc(p.get("service")));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.toString())).timeout(TIMEOUT);
        if (username.isPresent() && password.isPresent()) {
            b.header("Authorization", "Basic " + basic());
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot reach the token service " + realm + ": " + e.getMessage());
        }
        if (r.statusCode() != 200) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "the token service " + realm + " answered " + r.statusCode()
                    + (r.statusCode() == 401 ? " (wrong REGISTRY_USERNAME or REGISTRY_PASSWORD)" : "") + ": " + brief(r));
        }
        try {
            JsonNode t = json.readTree(r.body());
            String token = t.path("token").asText(t.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new ActionException(Reason.SOURCE_UNAVAILABLE, "the token service " + realm + " sent no token");
            }
            return token;
        } catch (IOException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "the token service " + realm + " sent what is not JSON");
        }
    }

    private String basic() {
        return Base64.getEncoder().encodeToString((username.orElse("") + ":" + password.orElse("")).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String brief(HttpResponse<byte[]> r) {
        String s = new String(r.body(), StandardCharsets.UTF_8).trim();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
