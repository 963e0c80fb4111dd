package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ironbell.it.Shell.Result;
import io.ironbell.testing.Await;
import io.ironbell.testing.Http;
import io.ironbell.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metadata service of the real server, asked from several loopback addresses (each one a
 * machine): a crawler walks the whole tree, user-data comes back byte for byte, a machine never
 * sees another's metadata, X-Forwarded-For counts only from a trusted proxy, IMDSv2 tokens work
 * as EC2's do, and a changed record shows at once. curl's {@code --interface} picks the source
 * address.
 */
class MetadataIT {

    private static final Path DISTRIBUTION = Path.of(System.getProperty("ironbell.distribution"));
    /** Bytes a YAML or shell user-data may hold: multi-line, non-ASCII, quotes, a tab, no final newline. */
    static final String USER_DATA = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: \"Grüße, \\\"ops\\\"\t✓\"\nruncmd: [\"echo $HOME\"]";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ServerProcess server;
    private static Path work;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        Shell.require("MetadataIT", List.of("curl"));
        work = Files.createTempDirectory("metadata-it");
        server = ServerProcess.start(DISTRIBUTION, work.resolve("home"), Map.of("IRONBELL_METADATA_TRUSTED_PROXIES", "127.0.0.5/32"));
        server.awaitHealthy(Duration.ofSeconds(60));
        Await.until("/readyz 200", Duration.ofSeconds(60), () -> Http.get(server.url("/readyz")).status() == 200 ? true : null);
        token = Files.readString(work.resolve("home/data/api-token")).trim();
        push(machine("m1", "52:54:00:3e:00:01", "127.0.0.1", "node-1"));
        push(machine("m2", "52:54:00:3e:00:02", "127.0.0.2", "node-2"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        io.ironbell.testing.TempDirs.delete(work);
    }

    static String machine(String id, String mac, String ip, String hostname) {
        return "{\"id\":\"" + id + "\",\"metadata\":{\"facility\":{\"facility_code\":\"lab-1\",\"plan_slug\":\"c3.small\"},"
                + "\"instance\":{\"id\":\"i-" + id + "\",\"hostname\":\"" + hostname + "\","
                + "\"operating_system\":{\"distro\":\"debian\",\"version\":\"12\",\"os_slug\":\"debian_12\",\"image_tag\":\"12\"},"
                + "\"userdata\":" + quote(USER_DATA) + ",\"vendordata\":\"#cloud-config\\n\","
                + "\"ssh_keys\":[\"ssh-ed25519 AAAAC3Nza1 ops@" + id + "\",\"ssh-rsa AAAAB3Nza2\"],\"tags\":[\"env=lab\",\"gpu\"],"
                + "\"ip_addresses\":[{\"address_family\":4,\"address\":\"203.0.113." + id.substring(1) + "\",\"public\":true},"
                + "{\"address_family\":4,\"address\":\"" + ip + "\",\"public\":false}]}},"
                + "\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"" + mac + "\",\"hostname\":\"" + hostname + "\",\"ip\":{\"address\":\""
                + ip + "\",\"netmask\":\"255.0.0.0\"}},\"netboot\":{\"allow_pxe\":true}}]}}";
    }

    static String quote(String text) {
        try {
            return new ObjectMapper().writeValueAsString(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void push(String json) {
        Http.Response r = Http.send(HttpRequest.newBuilder(URI.create(server.secureUrl("/api/v1/hardware")))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(json)).build());
        assertTrue(r.status() == 201 || r.status() == 200, r.body());
    }

    /** GET from a source address with extra headers: status and body. */
    static Result curl(String source, String method, String path, String... headers) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--interface", source, "-X", method, "-o", "-", "-w", "\n%{http_code}"));
        for (String h : headers) {
            cmd.addAll(List.of("-H", h));
        }
        cmd.add(server.url(path));
        Result r = Shell.run(cmd);
        int nl = r.output().lastIndexOf('\n');
        return new Result(Integer.parseInt(r.output().substring(nl + 1).trim()), r.output().substring(0, nl));
    }

    @Test
    void aCrawlerWalksTheWholeTree() throws Exception {
        Map<String, String> leaves = new LinkedHashMap<>();
        Deque<String> todo = new ArrayDeque<>(List.of("/latest/", "/2009-04-04/"));
        int directories = 0;
        while (!todo.isEmpty()) {
            String path = todo.pop();
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url(path))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            if (!path.endsWith("/")) {
                leaves.put(path, r.body());
                continue;
            }
            directories++;
            for (String child : r.body().split("\n")) {
                assertTrue(!child.isBlank() && !child.startsWith("/"), path + " lists '" + child + "'");
                // EC2 lists a public key as 0=name; its directory is 0/
                todo.add(path + (child.contains("=") ? child.substring(0, child.indexOf('=')) + "/" : child));
            }
        }
        for (String version : List.of("/latest/", "/2009-04-04/")) {
            assertEquals("i-m1", leaves.get(version + "meta-data/instance-id"));
            assertEquals("node-1", leaves.get(version + "meta-data/hostname"));
            assertEquals("node-1", leaves.get(version + "meta-data/local-hostname"));
            assertEquals("127.0.0.1", leaves.get(version + "meta-data/local-ipv4"));
            assertEquals("203.0.113.1", leaves.get(version + "meta-data/public-ipv4"));
            assertEquals("52:54:00:3e:00:01", leaves.get(version + "meta-data/mac"));
            assertEquals("lab-1", leaves.get(version + "meta-data/placement/availability-zone"));
            assertEquals("lab", leaves.get(version + "meta-data/tags/instance/env"));
            assertEquals("ssh-ed25519 AAAAC3Nza1 ops@m1", leaves.get(version + "meta-data/public-keys/0/openssh-key"));
            assertEquals("ssh-rsa AAAAB3Nza2", leaves.get(version + "meta-data/public-keys/1/openssh-key"));
            assertEquals("debian_12", leaves.get(version + "meta-data/operating-system/slug"));
            assertEquals("#cloud-config\n", leaves.get(version + "vendor-data"));
        }
        System.out.printf("metadata crawl: %d directories, %d leaves%n", directories, leaves.size());
        assertTrue(leaves.size() >= 30, leaves.keySet().toString());
        // absent keys and unknown paths are 404s
        for (String missing : List.of("/latest/meta-data/public-ipv6", "/latest/meta-data/nope", "/latest/meta-data/public-keys/7/openssh-key",
                "/latest/bogus", "/2009-04-04/meta-data/hostname/more")) {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url(missing))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, r.statusCode(), missing);
        }
    }

    @Test
    void userDataRoundTripsByteForByte() throws Exception {
        HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(URI.create(server.url("/latest/user-data"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertArrayEquals(USER_DATA.getBytes(StandardCharsets.UTF_8), r.body());
        Result viaCurl = curl("127.0.0.2", "GET", "/2009-04-04/user-data");
        assertEquals(USER_DATA, viaCurl.output());
    }

    @Test
    void aMachineSeesOnlyItsOwnMetadata() throws Exception {
        assertEquals(new Result(200, "i-m2"), curl("127.0.0.2", "GET", "/latest/meta-data/instance-id"));
        assertEquals(new Result(200, "i-m1"), curl("127.0.0.1", "GET", "/latest/meta-data/instance-id"));
        Result stranger = curl("127.0.0.3", "GET", "/latest/meta-data/instance-id");
        assertEquals(404, stranger.status(), "an unknown caller gets nothing: " + stranger.output());
        assertTrue(stranger.output().contains("127.0.0.3"), stranger.output());
        // X-Forwarded-For from a caller that is not a trusted proxy changes nothing
        assertEquals(new Result(200, "i-m1"), curl("127.0.0.1", "GET", "/latest/meta-data/instance-id", "X-Forwarded-For: 127.0.0.2"));
        assertEquals(404, curl("127.0.0.3", "GET", "/latest/meta-data/instance-id", "X-Forwarded-For: 127.0.0.2").status());
        // from the trusted proxy it names the machine
        assertEquals(new Result(200, "i-m2"), curl("127.0.0.5", "GET", "/latest/meta-data/instance-id", "X-Forwarded-For: 127.0.0.2"));
        assertEquals(new Result(200, "i-m1"), curl("127.0.0.5", "GET", "/latest/meta-data/instance-id", "X-Forwarded-For: 127.0.0.1, 127.0.0.5"));
        assertEquals(400, curl("127.0.0.5", "GET", "/latest/meta-data/instance-id", "X-Forwarded-For: evil.example").status());
        // a proxy that adds its own line: every line counts, the rightmost untrusted hop wins
        assertEquals(new Result(200, "i-m1"), curl("127.0.0.5", "GET", "/latest/meta-data/instance-id",
                "X-Forwarded-For: 127.0.0.2", "X-Forwarded-For: 127.0.0.1"));
        // the legacy JSON is the caller's whole record
        Result legacy = curl("127.0.0.2", "GET", "/metadata");
        assertEquals(200, legacy.status());
        assertTrue(legacy.output().contains("\"id\":\"m2\"") && !legacy.output().contains("i-m1"), legacy.output());
    }

    @Test
    void imdsV2TokensWorkAsOnEc2() throws Exception {
        Result t = curl("127.0.0.1", "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60");
        assertEquals(200, t.status(), t.output());
        String tok = t.output().trim();
        assertEquals(new Result(200, "node-1"), curl("127.0.0.1", "GET", "/latest/meta-data/hostname", "X-aws-ec2-metadata-token: " + tok));
        assertEquals(401, curl("127.0.0.2", "GET", "/latest/meta-data/hostname", "X-aws-ec2-metadata-token: " + tok).status(),
                "another machine cannot use the token");
        assertEquals(401, curl("127.0.0.1", "GET", "/latest/meta-data/hostname", "X-aws-ec2-metadata-token: forged").status());
        assertEquals(400, curl("127.0.0.1", "PUT", "/latest/api/token").status(), "the TTL header is required");
        assertEquals(400, curl("127.0.0.1", "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21601").status());
        assertEquals(403, curl("127.0.0.1", "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                "X-Forwarded-For: 127.0.0.2").status(), "no tokens through a proxy");
        long asked = System.nanoTime();
        Result shortLived = curl("127.0.0.1", "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 1");
        assertEquals(200, shortLived.status(), shortLived.output());
        String header = "X-aws-ec2-metadata-token: " + shortLived.output().trim();
        // refused once its second is up, and not before (the server times it with System.nanoTime(), the clock this test reads)
        long refused = Await.until("the 1 s token to expire", Duration.ofSeconds(10), () -> {
            try {
                return curl("127.0.0.1", "GET", "/latest/meta-data/hostname", header).status() == 401 ? System.nanoTime() : null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).value();
        assertTrue(refused - asked >= TimeUnit.SECONDS.toNanos(1), "a token for 1 s refused " + (refused - asked) / 1_000_000 + " ms after it was asked for");
    }

    @Test
    void aChangedRecordShowsAtOnce() throws Exception {
        push(machine("m2", "52:54:00:3e:00:02", "127.0.0.2", "renamed-2"));
        assertEquals(new Result(200, "renamed-2"), curl("127.0.0.2", "GET", "/latest/meta-data/hostname"));
        // and back, for the other tests
        push(machine("m2", "52:54:00:3e:00:02", "127.0.0.2", "node-2"));
        assertEquals(new Result(200, "node-2"), curl("127.0.0.2", "GET", "/latest/meta-data/hostname"));
    }
}
