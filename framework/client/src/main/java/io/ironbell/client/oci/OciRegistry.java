package io.ironbell.client.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.api.json.Json;
import io.ironbell.api.plugin.PluginArtifact;
import io.ironbell.client.Trust;
import io.ironbell.client.oci.OciException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * The part of the OCI distribution API that pulling and pushing one artifact needs: manifests
 * (and indexes) by tag or digest, blobs, and their uploads, with anonymous, basic or bearer-token
 * authentication (the token fetched from the realm a 401 names). Every manifest and blob read
 * is checked against the digest that named it.
 */
public final class OciRegistry {

    /** The manifest and index media types a pull accepts. */
    public static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    /** The media type of an OCI image (or artifact) manifest. */
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final OciReference ref;
    private final Optional<String> username;
    private final Optional<String> password;
    private final HttpClient http;
    private final SSLContext tls;
    private final ObjectMapper json = Json.mapper();
    private volatile String authorization;

    /**
     * A manifest as fetched.
     *
     * @param body      its bytes, parsed
     * @param bytes     its bytes, as the registry sent them (the digest is theirs)
     * @param mediaType its media type
     * @param digest    {@code sha256:} and its hex SHA-256
     */
    public record Manifest(JsonNode body, byte[] bytes, String mediaType, String digest) {
    }

    /**
     * A registry client for one repository.
     *
     * @param skipVerify believe any certificate for any name (an operator's explicit choice, never a default)
     */
    public OciRegistry(OciReference ref, Optional<String> username, Optional<String> password, boolean skipVerify) {
        this.ref = ref;
        this.username = username.filter(s -> !s.isEmpty());
        this.password = password;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NORMAL);
        this.tls = skipVerify ? Trust.insecure() : null;
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
        if (this.username.isPresent() && password.isPresent()) {
            authorization = "Basic " + basic();
        }
    }

    /** The repository this client talks to. */
    public OciReference reference() {
        return ref;
    }

    /** The Authorization header value for blob downloads by other clients, if any. */
    public Optional<String> authorization() {
        return Optional.ofNullable(authorization);
    }

    /** Sockets for blob downloads by other clients that skip TLS verification, or null for the default. */
    public SSLSocketFactory tlsSockets() {
        return tls == null ? null : tls.getSocketFactory();
    }

    /** The URL of a blob of this repository. */
    public URI blob(String digest) {
        return URI.create(ref.base() + "/v2/" + ref.repository() + "/blobs/" + digest);
    }

    /** Fetches a manifest or index by tag or digest, and checks its digest. */
    public Manifest manifest(String tagOrDigest) throws OciException, InterruptedException {
        URI uri = URI.create(ref.base() + "/v2/" + ref.repository() + "/manifests/" + tagOrDigest);
        HttpResponse<byte[]> r = exchange("GET", uri, ACCEPT, null, null);
        if (r.statusCode() == 404) {
            throw new OciException(Kind.NOT_FOUND, "registry " + ref.host() + " has no " + ref.repository() + ":" + tagOrDigest
                    + " (404): " + brief(r));
        }
        if (r.statusCode() != 200) {
            throw new OciException(Kind.UNAVAILABLE, "registry " + ref.host() + " answered " + r.statusCode() + " for the manifest of "
                    + ref.repository() + ":" + tagOrDigest + ": " + brief(r));
        }
        String digest = digest(r.body());
        if (tagOrDigest.startsWith("sha256:") && !tagOrDigest.equals(digest)) {
            throw new OciException(Kind.DIGEST_MISMATCH, "the manifest " + tagOrDigest + " from " + ref.host() + " has digest " + digest);
        }
        Optional<String> claimed = r.headers().firstValue("Docker-Content-Digest");
        if (claimed.isPresent() && claimed.get().startsWith("sha256:") && !claimed.get().equals(digest)) {
            throw new OciException(Kind.DIGEST_MISMATCH, "the manifest of " + ref.repository() + ":" + tagOrDigest + " has digest " + digest
                    + ", the registry says " + claimed.get());
        }
        try {
            JsonNode body = json.readTree(r.body());
            String type = body.path("mediaType").asText(r.headers().firstValue("Content-Type").orElse(""));
            return new Manifest(body, r.body(), type.replaceAll(";.*$", "").trim(), digest);
        } catch (IOException e) {
            throw new OciException(Kind.UNSUPPORTED, "the manifest of " + ref.repository() + ":" + tagOrDigest + " is not JSON: " + e.getMessage());
        }
    }

    /**
     * Downloads a small blob into memory and checks its digest.
     *
     * @param maxBytes the most it may be; a larger blob is refused before it is read
     */
    public byte[] blobBytes(String digest, long maxBytes) throws OciException, InterruptedException {
        HttpResponse<InputStream> r = exchangeStream(blob(digest));
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                throw new OciException(Kind.NOT_FOUND, "registry " + ref.host() + " has no blob " + digest + " in " + ref.repository());
            }
            if (r.statusCode() != 200) {
                throw new OciException(Kind.UNAVAILABLE, "registry " + ref.host() + " answered " + r.statusCode() + " for blob " + digest);
            }
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length > maxBytes) {
                throw new OciException(Kind.UNSUPPORTED, "blob " + digest + " of " + ref + " is " + length + " bytes, more than " + maxBytes);
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw new OciException(Kind.UNSUPPORTED, "blob " + digest + " of " + ref + " is more than " + maxBytes + " bytes");
            }
            String got = digest(bytes);
            if (!got.equals(digest)) {
                throw new OciException(Kind.DIGEST_MISMATCH, "blob " + digest + " of " + ref + " has digest " + got + ": refused");
            }
            return bytes;
        } catch (IOException e) {
            if (e instanceof OciException o) {
                throw o;
            }
            throw new OciException(Kind.UNAVAILABLE, "cannot read blob " + digest + " from " + ref.host() + ": " + e.getMessage());
        }
    }

    /** Uploads a blob (monolithically: POST then PUT) unless the registry has it already; returns its digest. */
    public String pushBlob(byte[] bytes) throws OciException, InterruptedException {
        String digest = digest(bytes);
        HttpResponse<byte[]> head = exchange("HEAD", blob(digest), "*/*", null, null);
        if (head.statusCode() == 200) {
            return digest;
        }
        URI uploads = URI.create(ref.base() + "/v2/" + ref.repository() + "/blobs/uploads/");
        HttpResponse<byte[]> r = exchange("POST", uploads, "*/*", null, new byte[0]);
        if (r.statusCode() != 202) {
            throw new OciException(r.statusCode() == 404 ? Kind.NOT_FOUND : Kind.UNAVAILABLE, "registry " + ref.host()
                    + " answered " + r.statusCode() + " to an upload to " + ref.repository() + ": " + brief(r));
        }
        String location = r.headers().firstValue("Location").orElseThrow(() -> new OciException(Kind.UNAVAILABLE,
                "registry " + ref.host() + " started an upload without a Location"));
        URI put = uploads.resolve(location);
        put = URI.create(put + (put.getQuery() == null ? "?" : "&") + "digest=" + enc(digest));
        r = exchange("PUT", put, "*/*", "application/octet-stream", bytes);
        if (r.statusCode() != 201) {
            throw new OciException(Kind.UNAVAILABLE, "registry " + ref.host() + " answered " + r.statusCode() + " to blob " + digest + ": " + brief(r));
        }
        return digest;
    }

    /** Puts a manifest under a tag (or its digest); returns its digest. */
    public String pushManifest(String tagOrDigest, String mediaType, byte[] manifest) throws OciException, InterruptedException {
        URI uri = URI.create(ref.base() + "/v2/" + ref.repository() + "/manifests/" + tagOrDigest);
        HttpResponse<byte[]> r = exchange("PUT", uri, "*/*", mediaType, manifest);
        if (r.statusCode() != 201) {
            throw new OciException(Kind.UNAVAILABLE, "registry " + ref.host() + " answered " + r.statusCode() + " to the manifest of "
                    + ref.repository() + ":" + tagOrDigest + ": " + brief(r));
        }
        return digest(manifest);
    }

    /** A request that authenticates when the registry asks (401 with WWW-Authenticate), once. */
    private HttpResponse<byte[]> exchange(String method, URI uri, String accept, String contentType, byte[] body)
            throws OciException, InterruptedException {
        HttpResponse<byte[]> r = send(method, uri, accept, contentType, body);
        if (r.statusCode() == 401) {
            authenticate(r.headers().firstValue("WWW-Authenticate").orElse(""));
            r = send(method, uri, accept, contentType, body);
            if (r.statusCode() == 401) {
                throw refused(r);
            }
        }
        return r;
    }

    private HttpResponse<InputStream> exchangeStream(URI uri) throws OciException, InterruptedException {
        try {
            HttpResponse<InputStream> r = http.send(request("GET", uri, "*/*", null, null), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() == 401) {
                r.body().close();
                authenticate(r.headers().firstValue("WWW-Authenticate").orElse(""));
                r = http.send(request("GET", uri, "*/*", null, null), HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() == 401) {
                    r.body().close();
                    throw new OciException(Kind.UNAUTHORIZED, "registry " + ref.host() + " refused the credentials (401)"
                            + username.map(u -> " of " + u).orElse(""));
                }
            }
            return r;
        } catch (IOException e) {
            if (e instanceof OciException o) {
                throw o;
            }
            throw unreachable(uri, e);
        }
    }

    private void authenticate(String challenge) throws OciException, InterruptedException {
        if (challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
            authorization = "Bearer " + token(challenge);
        } else if (username.isPresent() && password.isPresent()) {
            authorization = "Basic " + basic();
        } else {
            throw new OciException(Kind.UNAUTHORIZED, "registry " + ref.host() + " wants credentials (401 " + challenge
                    + "): set REGISTRY_USERNAME and REGISTRY_PASSWORD");
        }
    }

    private OciException refused(HttpResponse<byte[]> r) {
        return new OciException(Kind.UNAUTHORIZED, "registry " + ref.host() + " refused the credentials (401)"
                + username.map(u -> " of " + u).orElse("") + ": " + brief(r));
    }

    private HttpRequest request(String method, URI uri, String accept, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", accept);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private HttpResponse<byte[]> send(String method, URI uri, String accept, String contentType, byte[] body)
            throws OciException, InterruptedException {
        try {
            return http.send(request(method, uri, accept, contentType, body), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw unreachable(uri, e);
        }
    }

    private OciException unreachable(URI uri, IOException e) {
        return new OciException(Kind.UNAVAILABLE, "cannot reach registry " + ref.host() + " at " + uri + ": "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }

    /** The token flow: GET realm?service=..&scope=.. (with basic credentials when given). */
    private String token(String challenge) throws OciException, InterruptedException {
        Map<String, String> p = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            p.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = p.get("realm");
        if (realm == null) {
            throw new OciException(Kind.UNAVAILABLE, "registry " + ref.host() + " asks for a token without a realm: " + challenge);
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
            throw new OciException(Kind.UNAVAILABLE, "cannot reach the token service " + realm + ": " + e.getMessage());
        }
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new OciException(Kind.UNAUTHORIZED, "the token service " + realm + " answered " + r.statusCode()
                    + " (wrong REGISTRY_USERNAME or REGISTRY_PASSWORD): " + brief(r));
        }
        if (r.statusCode() != 200) {
            throw new OciException(Kind.UNAVAILABLE, "the token service " + realm + " answered " + r.statusCode() + ": " + brief(r));
        }
        try {
            JsonNode t = json.readTree(r.body());
            String token = t.path("token").asText(t.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new OciException(Kind.UNAVAILABLE, "the token service " + realm + " sent no token");
            }
            return token;
        } catch (IOException e) {
            if (e instanceof OciException o) {
                throw o;
            }
            throw new OciException(Kind.UNAVAILABLE, "the token service " + realm + " sent what is not JSON");
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

    /** {@code sha256:} and the hex SHA-256 of the bytes: the digest OCI names content by. */
    public static String digest(byte[] bytes) {
        return PluginArtifact.digest(bytes);
    }
}
