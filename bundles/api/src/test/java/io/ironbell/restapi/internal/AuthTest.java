package io.ironbell.restapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.Network;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.testing.MemoryHardwareLookup;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.util.converter.Converters;

/** Who may call the API: the admin bearer token, and workers by their machine's session and address. */
class AuthTest {

    static final String TOKEN = "s3cret-token-0123456789";
    static final String MAC = "52:54:00:12:34:56";
    static final String SECOND_NIC = "52:54:00:12:34:57";
    static final String OTHER_MAC = "52:54:00:99:00:01";

    @TempDir
    Path dir;

    /** Two machines; node-1 has two interfaces, each with its reserved address. */
    private final MemoryHardwareLookup hardware = new MemoryHardwareLookup(
            machine("node-1", nic(MAC, "10.250.0.10"), nic(SECOND_NIC, "10.250.1.10")),
            machine("node-2", nic(OTHER_MAC, "10.250.0.20")));

    private Auth auth(String token) throws IOException {
        // with a token configured the bundle context is never asked
        return new Auth(config(token), null, hardware);
    }

    private static Auth.Config config(String token) {
        return Converters.standardConverter().convert(Map.of("token", token)).to(Auth.Config.class);
    }

    // ---- the admin token -----------------------------------------------------------------------

    @Test
    void theConfiguredTokenIsAccepted() throws Exception {
        Auth auth = auth(TOKEN);
        assertTrue(auth.isAdmin(request("Bearer " + TOKEN)));
        assertTrue(auth.isAdmin(request("bearer " + TOKEN)), "the scheme is case-insensitive (RFC 7235)");
        assertTrue(auth.isAdmin(request("BEARER   " + TOKEN + "  ")), "blanks around the token are ignored");
        auth.requireAdmin(request("Bearer " + TOKEN));
    }

    @Test
    void aWrongTokenIs401() throws Exception {
        Auth auth = auth(TOKEN);
        for (String wrong : List.of(
                TOKEN.toUpperCase(Locale.ROOT),
                TOKEN.substring(0, TOKEN.length() - 1),   // a prefix
                TOKEN + "0",                              // longer
                "x" + TOKEN.substring(1))) {               // one byte differs
            assertUnauthorized(auth, "Bearer " + wrong, "the bearer token is wrong, expired or revoked");
        }
    }

    /** Not admin, and {@code requireAdmin} refuses with 401 and {@code message}. */
    private static void assertUnauthorized(Auth auth, String authorization, String message) {
        assertFalse(auth.isAdmin(request(authorization)), authorization);
        HttpException e = assertThrows(HttpException.class, () -> auth.requireAdmin(request(authorization)));
        assertEquals(401, e.status());
        assertEquals("unauthorized", e.code());
        assertEquals(message, e.getMessage());
    }

    @Test
    void aMissingHeaderIs401WithAHint() throws Exception {
        assertUnauthorized(auth(TOKEN), null, "this endpoint needs Authorization: Bearer <token> (see data/api-token)");
    }

    @Test
    void malformedHeadersAreRefused() throws Exception {
        Auth auth = auth(TOKEN);
        for (String header : List.of(
                "",
                "Bearer",
                "Bearer ",
                "Bearer      ",
                TOKEN,                                    // no scheme
                "Bearer" + TOKEN,                         // no blank after the scheme
                "Basic " + TOKEN,
                "Basic dXNlcjpzM2NyZXQtdG9rZW4tMDEyMzQ1Njc4OQ==",
                "Token " + TOKEN,
                "Bearer " + TOKEN + " " + TOKEN)) {
            assertFalse(auth.isAdmin(request(header)), "'" + header + "'");
            HttpException e = assertThrows(HttpException.class, () -> auth.requireAdmin(request(header)));
            assertEquals(401, e.status(), header);
            assertEquals("the bearer token is wrong, expired or revoked", e.getMessage(), "a header was sent: '" + header + "'");
        }
    }

    @Test
    void theConfiguredTokenIsTrimmedAndMustBeLongEnough() throws Exception {
        assertTrue(auth("  " + TOKEN + "\n").isAdmin(request("Bearer " + TOKEN)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> auth("fifteen-chars!!"));
        assertEquals("api.token must be at least 16 characters", e.getMessage());
        assertTrue(auth("sixteen-chars!!!").isAdmin(request("Bearer sixteen-chars!!!")), "16 is enough");
        assertThrows(IllegalArgumentException.class, () -> auth("abc" + " ".repeat(13)), "spaces do not count towards the 16");
    }

    // ---- named tokens and roles ------------------------------------------------------------------

    /** Named tokens in a map: what the store answers, without its database. */
    private static final class MemoryTokens implements io.ironbell.api.auth.TokenStore {
        final Map<String, io.ironbell.api.auth.ApiToken> bySecret = new java.util.HashMap<>();
        boolean away;

        void add(String secret, String name, io.ironbell.api.auth.Role role) {
            bySecret.put(secret, new io.ironbell.api.auth.ApiToken("id-" + name, name, role, java.time.Instant.now(), "admin", null, null, null));
        }

        @Override
        public Created create(String name, io.ironbell.api.auth.Role role, java.time.Instant expiresAt, String createdBy) {
            throw new IllegalStateException("not used here");
        }

        @Override
        public List<io.ironbell.api.auth.ApiToken> list() {
            return List.copyOf(bySecret.values());
        }

        @Override
        public io.ironbell.api.auth.ApiToken revoke(String nameOrId) {
            throw new IllegalStateException("not used here");
        }

        @Override
        public Optional<io.ironbell.api.auth.ApiToken> authenticate(String secret) throws io.ironbell.api.store.StoreException {
            if (away) {
                throw new io.ironbell.api.store.StoreException(io.ironbell.api.store.StoreException.Reason.UNAVAILABLE, "database away");
            }
            return Optional.ofNullable(bySecret.get(secret));
        }
    }

    @Test
    void aNamedTokenActsWithItsRoleAndNoMore() throws Exception {
        Auth auth = auth(TOKEN);
        MemoryTokens tokens = new MemoryTokens();
        String ci = "ib_aaaaaaaaaaaa_" + "c".repeat(43);
        String watcher = "ib_bbbbbbbbbbbb_" + "v".repeat(43);
        tokens.add(ci, "ci", io.ironbell.api.auth.Role.OPERATOR);
        tokens.add(watcher, "watcher", io.ironbell.api.auth.Role.VIEWER);
        auth.tokens = tokens;

        Auth.Caller c = auth.require(request("Bearer " + ci), io.ironbell.api.auth.Role.OPERATOR);
        assertEquals("ci", c.name());
        assertEquals(io.ironbell.api.auth.Role.OPERATOR, c.role());
        assertEquals(io.ironbell.api.auth.Role.OPERATOR, auth.require(request("Bearer " + ci), io.ironbell.api.auth.Role.VIEWER).role());
        HttpException denied = assertThrows(HttpException.class, () -> auth.requireAdmin(request("Bearer " + ci)));
        assertEquals(403, denied.status());
        assertEquals("token ci has the role operator; this needs admin", denied.getMessage());
        assertEquals(403, assertThrows(HttpException.class, () -> auth.require(request("Bearer " + watcher),
                io.ironbell.api.auth.Role.OPERATOR)).status());
        assertFalse(auth.isAdmin(request("Bearer " + ci)), "an operator is no admin, also not for the worker routes");
        assertEquals(Auth.ADMIN_NAME, auth.requireAdmin(request("Bearer " + TOKEN)).name(), "the admin token acts as 'admin'");

        assertUnauthorized(auth, "Bearer ib_cccccccccccc_" + "x".repeat(43), "the bearer token is wrong, expired or revoked");
        tokens.away = true;
        assertEquals(503, assertThrows(HttpException.class, () -> auth.require(request("Bearer " + ci), io.ironbell.api.auth.Role.VIEWER))
                .status(), "a token that cannot be checked is neither accepted nor called wrong");
        assertTrue(auth.isAdmin(request("Bearer " + TOKEN)), "the admin token needs no database");
    }

    // ---- the generated token ---------------------------------------------------------------------

    @Test
    void withoutATokenOneIsGeneratedIntoDataAndKept() throws Exception {
        Path home = dir.resolve("ironbell");
        Auth first = new Auth(config(""), context(home.toString(), dir.resolve("bundle-data")), hardware);
        Path file = home.resolve("data").resolve(Auth.TOKEN_FILE);

        assertTrue(Files.isRegularFile(file));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file), "only the server's user reads it");
        String token = Files.readString(file).trim();
        assertTrue(token.matches("[A-Za-z0-9_-]{43}"), "32 random bytes, base64url: " + token);
        assertFalse(Files.exists(file.resolveSibling(Auth.TOKEN_FILE + ".tmp")), "written by rename");
        assertTrue(first.isAdmin(request("Bearer " + token)));
        assertFalse(first.isAdmin(request("Bearer ")));

        Auth restarted = new Auth(config("   "), context(home.toString(), dir.resolve("bundle-data")), hardware);
        assertEquals(token, Files.readString(file).trim(), "a restart keeps the token");
        assertTrue(restarted.isAdmin(request("Bearer " + token)));
    }

    @Test
    void aTooShortTokenFileIsReplaced() throws Exception {
        Path home = dir.resolve("ironbell");
        Path file = Files.createDirectories(home.resolve("data")).resolve(Auth.TOKEN_FILE);
        Files.writeString(file, "short\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        Auth auth = new Auth(config(""), context(home.toString(), dir.resolve("bundle-data")), hardware);

        String token = Files.readString(file).trim();
        assertNotEquals("short", token);
        assertEquals(43, token.length());
        assertFalse(auth.isAdmin(request("Bearer short")));
        assertTrue(auth.isAdmin(request("Bearer " + token)));
    }

    @Test
    void aTokenFileOthersMayReadIsRefused() throws Exception {
        Path home = dir.resolve("ironbell");
        Path file = Files.createDirectories(home.resolve("data")).resolve(Auth.TOKEN_FILE);
        Files.writeString(file, "a-token-that-others-read-0123456789\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> new Auth(config(""), context(home.toString(), dir.resolve("bundle-data")), hardware));
        assertTrue(e.getMessage().contains("readable or writable by others (rw-r--r--): chmod 600"), e.getMessage());
    }

    @Test
    void withoutIronbellHomeTheTokenGoesToTheBundlesDataArea() throws Exception {
        Path data = dir.resolve("bundle-data");
        Auth auth = new Auth(config(""), context(null, data), hardware);
        Path file = data.resolve(Auth.TOKEN_FILE);
        assertEquals(file, Auth.tokenFile(context(null, data)));
        assertTrue(auth.isAdmin(request("Bearer " + Files.readString(file).trim())));
    }

    // ---- workers by their machine's session, and its address ----------------------------------------

    /** Sessions as PgMachineCredentials hands them out (that class is tested against PostgreSQL in the store). */
    private static final String NODE1_SESSION = "ibm_node1";
    private static final String NODE2_SESSION = "ibm_node2";

    private Auth withSessions() throws IOException {
        Auth auth = auth(TOKEN);
        auth.machines = new io.ironbell.api.auth.MachineCredentials() {
            @Override
            public String issueBootToken(String hardwareId) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Session exchange(String bootToken, java.net.InetAddress from) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.Optional<String> bootTokenHardware(String bootToken) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.Optional<Session> authenticate(String token) {
                return switch (token) {
                    case NODE1_SESSION -> java.util.Optional.of(new Session("node-1", null, java.time.Instant.MAX));
                    case NODE2_SESSION -> java.util.Optional.of(new Session("node-2", null, java.time.Instant.MAX));
                    default -> java.util.Optional.empty();
                };
            }
        };
        return auth;
    }

    @Test
    void aMachineMayAskForItsOwnWorkWithItsSessionFromItsAddress() throws Exception {
        Auth auth = withSessions();
        String s = "Bearer " + NODE1_SESSION;
        assertEquals(MacAddress.parse(MAC), auth.requireWorker(request(s, "10.250.0.10"), MAC));
        assertEquals(MacAddress.parse(MAC), auth.requireWorker(request(s, "10.250.0.10"), "52-54-00-12-34-56"), "any MAC spelling");
        assertEquals(MacAddress.parse(MAC), auth.requireWorker(request(s, "10.250.0.10"), "525400123456"));
        assertEquals(MacAddress.parse(SECOND_NIC), auth.requireWorker(request(s, "10.250.0.10"), SECOND_NIC),
                "another interface of the same machine");
        assertEquals(MacAddress.parse(MAC), auth.requireWorker(request(s, "10.250.1.10"), MAC), "from its second interface");
    }

    @Test
    void theAddressAloneIsNotEnoughAndTheSessionAloneIsNotEither() throws Exception {
        Auth auth = withSessions();
        HttpException none = assertThrows(HttpException.class, () -> auth.requireWorker(request(null, "10.250.0.10"), MAC));
        assertEquals(401, none.status(), "the machine's own address, no session: what an ARP spoofer has");
        assertTrue(none.getMessage().contains("ironbell.boot_token"), none.getMessage());

        HttpException elsewhere = assertThrows(HttpException.class, () -> auth.requireWorker(request("Bearer " + NODE1_SESSION, "10.250.0.20"), MAC));
        assertEquals(403, elsewhere.status(), "a stolen session from another address");
        assertEquals("address 10.250.0.20 is not an address of hardware node-1, whose session this is", elsewhere.getMessage());

        HttpException others = assertThrows(HttpException.class, () -> auth.requireWorker(request("Bearer " + NODE2_SESSION, "10.250.0.20"), MAC));
        assertEquals(403, others.status(), "node-2's session asking for node-1's MAC");
        assertTrue(others.getMessage().contains("may not act for MAC " + MAC), others.getMessage());

        HttpException unknown = assertThrows(HttpException.class, () -> auth.requireWorker(request("Bearer ibm_revoked", "10.250.0.10"), MAC));
        assertEquals(401, unknown.status(), "a session that is unknown, expired or revoked");

        HttpException wrongToken = assertThrows(HttpException.class,
                () -> auth.requireWorker(request("Bearer not-the-token-at-all", "10.250.0.10"), MAC));
        assertEquals(401, wrongToken.status());
    }

    @Test
    void theAdminTokenMayActForAnyWorker() throws Exception {
        Auth auth = auth(TOKEN);
        assertEquals(MacAddress.parse(MAC), auth.requireWorker(request("Bearer " + TOKEN, "192.0.2.7"), MAC));
        assertEquals(MacAddress.parse("02:00:00:00:00:01"), auth.requireWorker(request("Bearer " + TOKEN, "192.0.2.7"), "02:00:00:00:00:01"),
                "even for a MAC no hardware has");
    }

    @Test
    void aWorkerIdThatIsNotAMacIs400() throws Exception {
        Auth auth = auth(TOKEN);
        for (String id : new String[] {"node-1", "52:54:00:12:34", "52:54:00:12:34:5g", "52:54-00:12:34:56"}) {
            HttpException e = assertThrows(HttpException.class, () -> auth.requireWorker(request("Bearer " + TOKEN, "10.250.0.10"), id));
            assertEquals(400, e.status(), id);
            assertEquals("invalid_field", e.code());
            assertEquals("worker id must be a MAC address: not a MAC address: '" + id + "'", e.getMessage());
        }
    }

    // ---- test doubles ---------------------------------------------------------------------------------------

    private static TestRequest request(String authorization) {
        return request(authorization, "192.0.2.1");
    }

    private static TestRequest request(String authorization, String from) {
        return new TestRequest(authorization == null ? Map.of() : Map.of("Authorization", authorization),
                new InetSocketAddress(literal(from), 40000));
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip); // a literal: no lookup
        } catch (IOException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    /** A request as the HTTP server hands it to a route: headers and the peer's address are all Auth reads. */
    private record TestRequest(Map<String, String> headerMap, InetSocketAddress remoteAddress) implements HttpRequest {

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String path() {
            return "/api/v1/test";
        }

        @Override
        public Map<String, String> pathParams() {
            return Map.of();
        }

        @Override
        public Map<String, List<String>> queryParams() {
            return Map.of();
        }

        @Override
        public Optional<String> header(String name) {
            return headerMap.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst();
        }

        @Override
        public byte[] body() {
            return new byte[0];
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress(literal("10.250.0.2"), 8080);
        }
    }

    private static Hardware machine(String id, HardwareInterface... nics) {
        return new Hardware(id, null, new Network(List.of(nics), null), null);
    }

    private static HardwareInterface nic(String mac, String ip) {
        Dhcp dhcp = new Dhcp(mac, null, null, null, null, null, null, null, new IpConfig(ip, "255.255.255.0", null, 4, null),
                null, null, null, null, null, null, null, null);
        return new HardwareInterface(dhcp, null, null);
    }

    /**
     * The two things Auth asks of its bundle context, as a JDK proxy of the interface; any other
     * call fails the test.
     */
    private static BundleContext context(String ironbellHome, Path dataArea) {
        return (BundleContext) Proxy.newProxyInstance(AuthTest.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> "ironbell.home".equals(args[0]) ? ironbellHome : null;
                    case "getDataFile" -> dataArea.resolve((String) args[0]).toFile();
                    default -> throw new UnsupportedOperationException("Auth is not expected to call BundleContext." + method.getName());
                });
    }
}
