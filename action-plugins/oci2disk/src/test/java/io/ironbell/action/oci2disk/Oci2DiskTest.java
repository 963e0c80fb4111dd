package io.ironbell.action.oci2disk;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Sh;
import io.ironbell.testing.TestActionContext;
import io.ironbell.client.oci.OciRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * oci2disk against real parts: Debian's docker-registry (the CNCF distribution registry), once
 * open and once with htpasswd (basic) auth, holding a disk-image artifact pushed with skopeo from
 * an OCI layout this test writes (a partitioned ext4 image, compressed with zstd and with gzip,
 * in a layer titled as Tinkerbell's oci2disk expects); a token-auth front (the bearer flow: 401,
 * realm, token) relaying to the open registry; written onto a loop device and checked byte for
 * byte, with sfdisk and by mounting; and a registry behind TLS with a self-signed certificate,
 * refused unless SKIP_VERIFY; a tampered layer and one shorter than its descriptor, wiped before
 * the action fails (both ends zero, no partition table for sfdisk or blkid). Needs
 * root, docker-registry, skopeo, apache2-utils, openssl, e2fsprogs, fdisk and zstd (.ci/prepare
 * installs them); fails, never skips, without them.
 */
class Oci2DiskTest {

    static final long DISK = 16L << 20;
    /** A disk larger than the image, so that its last MiB is not the image's. */
    static final long BIG = 24L << 20;
    private static Path dir;
    private static Path image;
    private static Process open;
    private static Process basic;
    private static Process tls;
    private static int tlsPort;
    private static int openPort;
    private static int basicPort;
    private static HttpServer tokenFront;
    private static final AtomicInteger tokensIssued = new AtomicInteger();
    private static String manifestDigest;
    private String loop;
    private Path target;

    @BeforeAll
    static void pushArtifacts() throws Exception {
        assertEquals("0", sh("id -u").trim(), "Oci2DiskTest needs root for loop devices");
        for (String tool : List.of("docker-registry", "skopeo", "htpasswd", "sfdisk", "mkfs.ext4", "zstd")) {
            assertTrue(sh("command -v " + tool + " || echo missing").startsWith("/"), tool + " is missing: run .ci/prepare");
        }
        dir = Files.createTempDirectory("oci2disk");
        image = dir.resolve("disk.img");
        sh("truncate -s " + DISK + " " + image + " && printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q " + image
                + " && mkfs.ext4 -q -F -E offset=" + (2048 * 512) + " " + image + " " + ((DISK - 2048 * 512) / 1024) + "k"
                + " && mkdir -p " + dir.resolve("m") + " && mount -o loop,offset=" + (2048 * 512) + " " + image + " " + dir.resolve("m")
                + " && echo 'installed by oci2disk' > " + dir.resolve("m/hello.txt") + " && umount " + dir.resolve("m")
                + " && cd " + dir + " && zstd -q -k disk.img && gzip -k disk.img");
        layout("zst", "disk.img.zst", "application/vnd.oci.image.layer.v1.tar");
        layout("gz", "disk.img.gz", "application/vnd.oci.image.layer.v1.tar+gzip");
        layout("raw", "disk.img", "application/vnd.oci.image.layer.v1.tar");

        openPort = FreePort.find();
        open = registry("open", openPort, "");
        sh("htpasswd -Bbn ironbell s3cret > " + dir.resolve("htpasswd"));
        basicPort = FreePort.find();
        basic = registry("basic", basicPort, "auth:\n  htpasswd:\n    realm: test\n    path: " + dir.resolve("htpasswd") + "\n");
        // a registry behind TLS with a self-signed certificate for another name
        sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=registry.invalid -keyout " + dir.resolve("key.pem")
                + " -out " + dir.resolve("cert.pem") + " 2>/dev/null");
        tlsPort = FreePort.find();
        tls = registry("tls", tlsPort, "  tls:\n    certificate: " + dir.resolve("cert.pem") + "\n    key: " + dir.resolve("key.pem") + "\n");
        sh("skopeo copy -q --dest-tls-verify=false oci:" + dir.resolve("layout-zst") + ":zst docker://127.0.0.1:" + tlsPort + "/images/disk:zst");
        for (String tag : List.of("zst", "gz", "raw")) {
            sh("skopeo copy -q --dest-tls-verify=false oci:" + dir.resolve("layout-" + tag) + ":" + tag
                    + " docker://127.0.0.1:" + openPort + "/images/disk:" + tag);
        }
        sh("skopeo copy -q --dest-tls-verify=false --dest-creds ironbell:s3cret oci:" + dir.resolve("layout-zst") + ":zst"
                + " docker://127.0.0.1:" + basicPort + "/images/disk:zst");
        manifestDigest = "sha256:" + sh("skopeo inspect --raw --tls-verify=false docker://127.0.0.1:" + openPort + "/images/disk:zst | sha256sum").split(" ")[0];

        // a registry front that wants bearer tokens, relaying to the open registry
        tokenFront = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokenFront.createContext("/token", ex -> {
            String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
            boolean ok = auth.equals("Basic " + java.util.Base64.getEncoder().encodeToString("ironbell:s3cret".getBytes()))
                    && String.valueOf(ex.getRequestURI().getRawQuery()).contains("scope=repository%3Aimages%2Fdisk%3Apull");
            respond(ex, ok ? 200 : 401, ok ? "{\"token\":\"t-" + tokensIssued.incrementAndGet() + "\"}" : "{\"errors\":[]}");
        });
        tokenFront.createContext("/v2/", ex -> {
            String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
            if (!auth.startsWith("Bearer t-")) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + tokenFront.getAddress().getPort()
                        + "/token\",service=\"test\",scope=\"repository:images/disk:pull\"");
                respond(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
                return;
            }
            relay(ex, "http://127.0.0.1:" + openPort + ex.getRequestURI().getPath(), 0);
        });
        tokenFront.start();
    }

    /** An OCI image layout with one artifact: an empty config and the disk image as its titled layer. */
    private static void layout(String tag, String file, String mediaType) throws Exception {
        Path l = dir.resolve("layout-" + tag);
        Path blobs = Files.createDirectories(l.resolve("blobs/sha256"));
        Files.writeString(l.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        byte[] layer = Files.readAllBytes(dir.resolve(file));
        String layerDigest = OciRegistry.digest(layer).substring(7);
        Files.write(blobs.resolve(layerDigest), layer);
        byte[] config = "{}".getBytes();
        String configDigest = OciRegistry.digest(config).substring(7);
        Files.write(blobs.resolve(configDigest), config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.ironbell.disk-image\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:" + configDigest + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"" + mediaType + "\",\"digest\":\"sha256:" + layerDigest + "\",\"size\":" + layer.length
                + ",\"annotations\":{\"org.opencontainers.image.title\":\"" + file + "\"}}]}").getBytes();
        String manifestDigest = OciRegistry.digest(manifest).substring(7);
        Files.write(blobs.resolve(manifestDigest), manifest);
        Files.writeString(l.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"sha256:" + manifestDigest + "\",\"size\":" + manifest.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
    }

    private static Process registry(String name, int port, String auth) throws Exception {
        Path config = dir.resolve(name + ".yml");
        Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve(name + "-storage")
                + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n" + auth);
        Process p = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() > 0) {
                    return p; // listening (a TLS registry answers plain HTTP with 400)
                }
            } catch (IOException e) {
                // not listening yet
            }
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "registry " + name + " did not start: " + Files.readString(dir.resolve(name + ".log")));
            Thread.sleep(100);
        }
    }

    /** Relays a GET to the registry, leaving off the last {@code dropTail} bytes of a blob. */
    private static void relay(HttpExchange ex, String url, int dropTail) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestProperty("Accept", String.valueOf(ex.getRequestHeaders().getFirst("Accept")));
        int status = c.getResponseCode();
        for (String h : List.of("Content-Type", "Docker-Content-Digest", "ETag")) {
            if (c.getHeaderField(h) != null) {
                ex.getResponseHeaders().add(h, c.getHeaderField(h));
            }
        }
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            byte[] body = in.readAllBytes();
            if (url.contains("/blobs/") && status == 200) {
                body = java.util.Arrays.copyOf(body, body.length - dropTail);
            }
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        }
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes();
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @AfterAll
    static void stop() {
        for (Process p : new Process[] {open, basic, tls}) {
            if (p != null) {
                p.destroy();
            }
        }
        if (tokenFront != null) {
            tokenFront.stop(0);
        }
        io.ironbell.testing.TempDirs.delete(dir);
    }

    @BeforeEach
    void newDisk() throws Exception {
        target = dir.resolve("target-" + System.nanoTime());
        sh("truncate -s " + DISK + " " + target);
        loop = sh("losetup --show -f " + target).trim();
    }

    @AfterEach
    void dropDisk() throws Exception {
        sh("losetup -d " + loop + " && rm -f " + target);
    }

    private Map<String, String> env(String url) {
        Map<String, String> env = new HashMap<>();
        env.put("IMG_URL", url);
        env.put("DEST_DISK", loop);
        return env;
    }

    private static ActionResult run(Map<String, String> env) throws Exception {
        return new Oci2Disk().execute(new TestActionContext("quay.io/tinkerbell-actions/oci2disk:v1.0.0", env));
    }

    /** A loop device of 24 MiB of random bytes, with partition scanning so that blockdev can re-read its partition table. */
    private static String randomDisk() throws Exception {
        Path f = dir.resolve("random-" + System.nanoTime());
        sh("head -c " + BIG + " /dev/urandom > " + f);
        return sh("losetup --show -f -P " + f).trim();
    }

    private static void dropRandomDisk(String device) throws Exception {
        sh("f=$(losetup -n -O BACK-FILE " + device + ") && losetup -d " + device + " && rm -f \"$f\"");
    }

    /** The first and last MiB zero; no partition table for sfdisk or blkid (probing the device itself). */
    private static void assertWiped(String device) throws Exception {
        Sh.Result sfdisk = Sh.run(List.of("sfdisk", "-d", device), Duration.ofSeconds(30));
        assertTrue(sfdisk.status() != 0 && sfdisk.output().contains("does not contain a recognized partition table"), sfdisk.toString());
        Sh.Result blkid = Sh.run(List.of("blkid", "-p", device), Duration.ofSeconds(30));
        assertEquals(2, blkid.status(), "blkid -p finds nothing: " + blkid);
        try (FileChannel c = FileChannel.open(Path.of(device))) {
            for (long at : new long[] {0, BIG - (1 << 20)}) {
                ByteBuffer b = ByteBuffer.allocate(1 << 20);
                while (b.hasRemaining() && c.read(b, at + b.position()) > 0) {
                    // until full
                }
                assertArrayEquals(new byte[1 << 20], b.array(), "the MiB at " + at + " is zero");
            }
        }
    }

    private void assertInstalled() throws Exception {
        sh("cmp " + image + " " + loop);
        assertTrue(sh("sfdisk -d " + loop).contains("start=        2048"));
        Path m = Files.createDirectories(dir.resolve("check"));
        sh("mount -o ro,loop,offset=" + (2048 * 512) + " " + loop + " " + m);
        try {
            assertEquals("installed by oci2disk\n", Files.readString(m.resolve("hello.txt")));
        } finally {
            sh("umount " + m);
        }
    }

    @Test
    void anArtifactIsPulledByTagAndByDigestWithEitherCompression() throws Exception {
        ActionResult zst = run(env("http://127.0.0.1:" + openPort + "/images/disk:zst"));
        assertTrue(zst.message().startsWith("wrote 16,777,216 bytes of images/disk:zst (layer disk.img.zst") && zst.message().contains("zstd, digest verified"),
                zst.message());
        assertInstalled();
        sh("dd if=/dev/zero of=" + loop + " bs=1M count=16 status=none");
        ActionResult gz = run(env("http://127.0.0.1:" + openPort + "/images/disk:gz"));
        assertTrue(gz.message().contains("gzip, digest verified"), "by the layer's media type: " + gz.message());
        assertInstalled();
        sh("dd if=/dev/zero of=" + loop + " bs=1M count=16 status=none");
        run(env("http://127.0.0.1:" + openPort + "/images/disk@" + manifestDigest));
        assertInstalled();
    }

    @Test
    void basicAndTokenAuthentication() throws Exception {
        Map<String, String> env = env("http://127.0.0.1:" + basicPort + "/images/disk:zst");
        ActionException anonymous = assertThrows(ActionException.class, () -> run(env));
        assertTrue(anonymous.getMessage().contains("wants credentials (401") && anonymous.getMessage().contains("REGISTRY_USERNAME"),
                anonymous.getMessage());
        env.put("REGISTRY_USERNAME", "ironbell");
        env.put("REGISTRY_PASSWORD", "wrong");
        ActionException wrong = assertThrows(ActionException.class, () -> run(env));
        assertEquals(Reason.SOURCE_UNAVAILABLE, wrong.reason());
        assertTrue(wrong.getMessage().contains("refused the credentials (401) of ironbell"), wrong.getMessage());
        env.put("REGISTRY_PASSWORD", "s3cret");
        run(env);
        assertInstalled();

        sh("dd if=/dev/zero of=" + loop + " bs=1M count=16 status=none");
        Map<String, String> token = env("http://127.0.0.1:" + tokenFront.getAddress().getPort() + "/images/disk:zst");
        token.put("REGISTRY_USERNAME", "ironbell");
        token.put("REGISTRY_PASSWORD", "s3cret");
        int before = tokensIssued.get();
        run(token);
        assertInstalled();
        assertEquals(before + 1, tokensIssued.get(), "one token, used for the manifest and the blob");
        token.put("REGISTRY_PASSWORD", "nope");
        ActionException refused = assertThrows(ActionException.class, () -> run(token));
        assertTrue(refused.getMessage().contains("answered 401 (wrong REGISTRY_USERNAME or REGISTRY_PASSWORD)"), refused.getMessage());
    }

    @Test
    void tlsIsVerifiedUnlessSkipVerifySaysOtherwise() throws Exception {
        Map<String, String> env = env("127.0.0.1:" + tlsPort + "/images/disk:zst");
        ActionException untrusted = assertThrows(ActionException.class, () -> run(env));
        assertEquals(Reason.SOURCE_UNAVAILABLE, untrusted.reason());
        assertTrue(untrusted.getMessage().startsWith("cannot reach registry 127.0.0.1:" + tlsPort + " at https://"), untrusted.getMessage());
        env.put("SKIP_VERIFY", "true");
        ActionResult r = run(env);
        assertTrue(r.message().contains("digest verified"), r.message());
        assertInstalled();
    }

    @Test
    void aTamperedBlobUnknownTagAndBadInputFailWithTheirReason() throws Exception {
        // the registry keeps blobs as files and serves them as they are: change one byte of one
        String layerDigest = OciRegistry.digest(Files.readAllBytes(image)).substring(7);
        Path data = dir.resolve("open-storage/docker/registry/v2/blobs/sha256/" + layerDigest.substring(0, 2) + "/" + layerDigest + "/data");
        assertTrue(Files.isRegularFile(data), data.toString());
        byte[] b = Files.readAllBytes(data);
        b[b.length / 2] ^= 1;
        Files.write(data, b);
        String wiped = randomDisk();
        try {
            Map<String, String> env = env("http://127.0.0.1:" + openPort + "/images/disk:raw");
            env.put("DEST_DISK", wiped);
            ActionException tampered = assertThrows(ActionException.class, () -> run(env));
            assertEquals(Reason.CHECKSUM_MISMATCH, tampered.reason(), tampered.getMessage());
            assertWiped(wiped);
            assertEquals("layer digest mismatch: blob of images/disk:raw has sha256 " + OciRegistry.digest(b).substring(7) + ", expected " + layerDigest
                    + "; the first and last MiB of " + wiped + " were zeroed so that the unverified image cannot boot; partition table re-read",
                    tampered.getMessage());
        } finally {
            dropRandomDisk(wiped);
        }

        ActionException unknown = assertThrows(ActionException.class, () -> run(env("http://127.0.0.1:" + openPort + "/images/disk:nope")));
        assertTrue(unknown.getMessage().contains("has no images/disk:nope (404)"), unknown.getMessage());
        ActionException missing = assertThrows(ActionException.class, () -> run(Map.of("DEST_DISK", loop)));
        assertTrue(missing.getMessage().contains("IMG_URL is required"), missing.getMessage());
        ActionException malformed = assertThrows(ActionException.class, () -> run(env("http://127.0.0.1:" + openPort + "/Images/Disk!")));
        assertEquals(Reason.INVALID_INPUT, malformed.reason());
        ActionException down = assertThrows(ActionException.class, () -> run(env("http://127.0.0.1:1/images/disk:zst")));
        assertTrue(down.getMessage().contains("cannot reach registry 127.0.0.1:1"), down.getMessage());
    }

    @Test
    void aLayerShorterThanItsDescriptorIsWiped() throws Exception {
        // a front that serves the registry's blobs without their last 4 KiB
        HttpServer shortFront = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        shortFront.createContext("/v2/", ex -> relay(ex, "http://127.0.0.1:" + openPort + ex.getRequestURI().getPath(), 4096));
        shortFront.start();
        String wiped = randomDisk();
        try {
            Map<String, String> env = env("http://127.0.0.1:" + shortFront.getAddress().getPort() + "/images/disk:raw");
            env.put("DEST_DISK", wiped);
            ActionException e = assertThrows(ActionException.class, () -> run(env));
            assertEquals(Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
            assertWiped(wiped);
            assertTrue(e.getMessage().matches("layer size mismatch: blob sha256:[0-9a-f]{64} is " + (DISK - 4096) + " bytes, its descriptor says " + DISK
                    + "; the first and last MiB of " + wiped + " were zeroed so that the unverified image cannot boot; partition table re-read"),
                    e.getMessage());
        } finally {
            shortFront.stop(0);
            dropRandomDisk(wiped);
        }
    }

    @Test
    void theRightLayerLeavesTheImageAndWhatLiesPastIt() throws Exception {
        String disk = randomDisk();
        try {
            String past = sh("tail -c 1048576 " + disk + " | sha256sum");
            Map<String, String> env = env("http://127.0.0.1:" + openPort + "/images/disk:zst");
            env.put("DEST_DISK", disk);
            assertTrue(run(env).message().endsWith("; partition table re-read"));
            sh("cmp -n " + DISK + " " + image + " " + disk);
            assertEquals(past, sh("tail -c 1048576 " + disk + " | sha256sum"), "past the image, the disk is as it was");
            assertTrue(sh("sfdisk -d " + disk).contains("type=83"));
        } finally {
            dropRandomDisk(disk);
        }
    }
}
