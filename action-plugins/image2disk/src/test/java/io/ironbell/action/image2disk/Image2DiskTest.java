package io.ironbell.action.image2disk;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.TestActionContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * image2disk against real parts: a partitioned ext4 disk image made with sfdisk and mkfs.ext4,
 * compressed with the real gzip, xz, zstd and bzip2 tools, served over HTTP (with Range, and a
 * server that stalls midway), written onto a loop device, then checked byte for byte,
 * with sfdisk, and by mounting its partition. Needs root, util-linux, e2fsprogs and the compressors
 * (.ci/prepare installs them); fails, never skips, without them.
 */
class Image2DiskTest {

    static final long DISK = 24L << 20;
    private static Path dir;
    private static Path image;
    private static HttpServer http;
    private static final AtomicBoolean cutNext = new AtomicBoolean();
    private String target;
    private Path targetFile;

    @BeforeAll
    static void makeImage() throws Exception {
        assertEquals("0", sh("id -u").trim(), "Image2DiskTest needs root for loop devices");
        dir = Files.createTempDirectory("image2disk");
        image = dir.resolve("disk.img");
        // a DOS label with one Linux partition holding an ext4 file system with a file on it
        sh("truncate -s " + DISK + " " + image + " && printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q " + image
                + " && mkfs.ext4 -q -F -E offset=" + (2048 * 512) + " " + image + " " + ((DISK - 2048 * 512) / 1024) + "k"
                + " && mkdir -p " + dir.resolve("m") + " && mount -o loop,offset=" + (2048 * 512) + " " + image + " " + dir.resolve("m")
                + " && echo 'installed by image2disk' > " + dir.resolve("m/hello.txt") + " && head -c 3000000 /dev/urandom > " + dir.resolve("m/noise")
                + " && umount " + dir.resolve("m"));
        sh("cd " + dir + " && gzip -k disk.img && xz -k -T1 -0 disk.img && zstd -q -k disk.img && bzip2 -k disk.img && cp disk.img disk.raw");
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", Image2DiskTest::serve);
        http.start();
    }

    @AfterAll
    static void stopServer() {
        if (http != null) {
            http.stop(0);
        }
    }

    @BeforeEach
    void newDisk() throws Exception {
        targetFile = dir.resolve("target-" + System.nanoTime());
        sh("truncate -s " + DISK + " " + targetFile);
        target = sh("losetup --show -f " + targetFile).trim();
    }

    @AfterEach
    void dropDisk() throws Exception {
        sh("losetup -d " + target);
        Files.deleteIfExists(targetFile);
    }

    /** Files from the directory, with single ranges (bytes=N-), and a connection that stalls midway when asked. */
    private static void serve(HttpExchange ex) throws IOException {
        Path f = dir.resolve(ex.getRequestURI().getPath().substring(1));
        if (!Files.isRegularFile(f)) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        long size = Files.size(f);
        long from = 0;
        ex.getResponseHeaders().add("ETag", "\"" + f.getFileName() + "-" + size + "\"");
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Long.parseLong(range.substring(6, range.length() - 1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size);
            ex.sendResponseHeaders(206, size - from);
        } else {
            ex.sendResponseHeaders(200, size);
        }
        long limit = cutNext.getAndSet(false) ? Math.min(size - from, 1 << 20) : size - from;
        try (var in = Files.newInputStream(f); OutputStream out = ex.getResponseBody()) {
            in.skipNBytes(from);
            byte[] buf = new byte[64 << 10];
            long sent = 0;
            while (sent < limit) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, limit - sent));
                out.write(buf, 0, n);
                sent += n;
            }
            if (limit < size - from) {
                out.flush();
                // stop sending midway and leave the connection open, as a flaky network does
                throw new IOException("stalled on purpose");
            }
        } catch (IOException cut) {
            ex.close();
        }
    }

    private ActionResult run(Map<String, String> env, List<String> log) throws Exception {
        TestActionContext ctx = new TestActionContext("quay.io/tinkerbell-actions/image2disk:v1.0.0", env);
        try {
            return new Image2Disk().execute(ctx);
        } finally {
            log.addAll(ctx.lines);
        }
    }

    private Map<String, String> env(String file) {
        Map<String, String> env = new HashMap<>();
        env.put("IMG_URL", "http://127.0.0.1:" + http.getAddress().getPort() + "/" + file);
        env.put("DEST_DISK", target);
        env.put("COMPRESSED", "true");
        return env;
    }

    /** The target holds the image byte for byte, its partition table reads back, and its file system mounts. */
    private void assertInstalled() throws Exception {
        sh("cmp " + image + " " + target);
        String table = sh("sfdisk -d " + target);
        assertTrue(table.contains("start=        2048") && table.contains("type=83"), table);
        Path m = dir.resolve("check");
        Files.createDirectories(m);
        sh("mount -o ro,loop,offset=" + (2048 * 512) + " " + target + " " + m);
        try {
            assertEquals("installed by image2disk\n", Files.readString(m.resolve("hello.txt")));
        } finally {
            sh("umount " + m);
        }
    }

    @Test
    void anImageWhoseSizeIsNoMultipleOfTheBlockSizeLandsWhole() throws Exception {
        // direct I/O writes whole 4 KiB blocks; the last 1,234 bytes take the cached path
        long size = 3 * 1048576 + 1234;
        Path odd = dir.resolve("odd.raw");
        sh("head -c " + size + " /dev/urandom > " + odd + " && zstd -q -f " + odd + " -o " + odd + ".zst"
                + " && dd if=/dev/urandom of=" + target + " bs=1M count=24 status=none");
        String after = "dd if=" + target + " iflag=skip_bytes,count_bytes skip=" + size + " count=8192 status=none | sha256sum";
        String before = sh(after);
        ActionResult r = run(env("odd.raw.zst"), new CopyOnWriteArrayList<>());
        assertTrue(r.message().startsWith("wrote 3,146,962 bytes"), r.message());
        sh("cmp -n " + size + " " + odd + " " + target);
        assertEquals(before, sh(after), "the bytes past the image's end are as they were");
    }

    @Test
    void everyCompressionLandsByteForByte() throws Exception {
        for (String file : List.of("disk.raw", "disk.img.gz", "disk.img.xz", "disk.img.zst", "disk.img.bz2")) {
            sh("dd if=/dev/zero of=" + target + " bs=1M count=24 status=none");
            List<String> log = new CopyOnWriteArrayList<>();
            Map<String, String> env = env(file);
            env.put("COMPRESSED", Boolean.toString(!file.endsWith(".raw")));
            ActionResult r = run(env, log);
            assertTrue(r.message().contains("wrote 25,165,824 bytes"), file + ": " + r.message());
            System.out.println("image2disk " + file + ": " + r.message());
            assertInstalled();
        }
    }

    @Test
    void aChecksumIsVerifiedAndAStalledConnectionResumes() throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve("disk.img.zst"))));
        Map<String, String> env = env("disk.img.zst");
        env.put("IMG_CHECKSUM", "sha256:" + sha);
        env.put("IMG_READ_TIMEOUT", "2");
        cutNext.set(true);
        List<String> log = new CopyOnWriteArrayList<>();
        ActionResult r = run(env, log);
        assertTrue(r.message().contains("1 resumes") && r.message().contains("sha256 verified"), r.message());
        assertTrue(log.stream().anyMatch(l -> l.contains("resuming")), log.toString());
        assertInstalled();
    }

    @Test
    void badInputFailsWithAClearReasonAndNeverSucceeds() throws Exception {
        Map<String, ActionException> failures = new HashMap<>();
        Map<String, String> e404 = env("missing.img.gz");
        failures.put("404", assertThrows(ActionException.class, () -> run(e404, new CopyOnWriteArrayList<>())));
        Map<String, String> badUrl = env("x");
        badUrl.put("IMG_URL", "not a url");
        failures.put("url", assertThrows(ActionException.class, () -> run(badUrl, new CopyOnWriteArrayList<>())));
        Map<String, String> sum = env("disk.img.gz");
        sum.put("IMG_CHECKSUM", "sha256:" + "0".repeat(64));
        failures.put("checksum", assertThrows(ActionException.class, () -> run(sum, new CopyOnWriteArrayList<>())));
        Map<String, String> comp = env("disk.img.gz");
        comp.put("COMPRESSION", "lz4");
        failures.put("compression", assertThrows(ActionException.class, () -> run(comp, new CopyOnWriteArrayList<>())));
        Map<String, String> corrupt = env("disk.raw");
        corrupt.put("COMPRESSION", "gzip");
        failures.put("corrupt", assertThrows(ActionException.class, () -> run(corrupt, new CopyOnWriteArrayList<>())));
        Map<String, String> missing = env("disk.raw");
        missing.remove("DEST_DISK");
        failures.put("missing", assertThrows(ActionException.class, () -> run(missing, new CopyOnWriteArrayList<>())));
        assertEquals(Reason.SOURCE_UNAVAILABLE, failures.get("404").reason());
        assertTrue(failures.get("404").getMessage().contains("answered 404"), failures.get("404").getMessage());
        assertEquals(Reason.INVALID_INPUT, failures.get("url").reason());
        assertEquals(Reason.CHECKSUM_MISMATCH, failures.get("checksum").reason());
        assertEquals(Reason.INVALID_INPUT, failures.get("compression").reason());
        assertTrue(failures.get("compression").getMessage().contains("lz4"));
        assertEquals(Reason.UNSUPPORTED, failures.get("corrupt").reason());
        assertEquals(Reason.INVALID_INPUT, failures.get("missing").reason());
        assertTrue(failures.get("missing").getMessage().contains("DEST_DISK"));

        // a disk smaller than the image
        Path small = dir.resolve("small");
        sh("truncate -s 4M " + small);
        String smallDisk = sh("losetup --show -f " + small).trim();
        try {
            Map<String, String> tooSmall = env("disk.img.gz");
            tooSmall.put("DEST_DISK", smallDisk);
            ActionException e = assertThrows(ActionException.class, () -> run(tooSmall, new CopyOnWriteArrayList<>()));
            assertEquals(Reason.TARGET_FAILED, e.reason());
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
        } finally {
            sh("losetup -d " + smallDisk);
        }
    }
}
