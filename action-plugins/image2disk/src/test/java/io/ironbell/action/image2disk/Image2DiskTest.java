package io.ironbell.action.image2disk;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.Sh;
import io.ironbell.testing.TestActionContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * image2disk against real parts: a partitioned ext4 disk image made with sfdisk and mkfs.ext4,
 * compressed with the real gzip, xz, zstd and bzip2 tools, served over HTTP (with Range, and a
 * server that stalls midway), written onto a loop device, then checked byte for byte,
 * with sfdisk, and by mounting its partition; a tampered image and one cut short, wiped before the
 * action fails (both ends zero, no partition table for sfdisk or blkid). Needs root,
 * util-linux, e2fsprogs and the compressors (.ci/prepare installs them); fails, never skips,
 * without them.
 */
class Image2DiskTest {

    static final long DISK = 24L << 20;
    private static Path dir;
    private static Path image;
    private static HttpServer http;
    private static final AtomicBoolean cutNext = new AtomicBoolean();
    private static final AtomicInteger requests = new AtomicInteger();
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
        io.ironbell.testing.TempDirs.delete(dir);
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
        requests.incrementAndGet();
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

    /** The environment for {@code file}, with IMG_CHECKSUM of what the server holds (http:// wants one). */
    private Map<String, String> env(String file) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("IMG_URL", "http://127.0.0.1:" + http.getAddress().getPort() + "/" + file);
        env.put("DEST_DISK", target);
        env.put("COMPRESSED", "true");
        env.put("IMG_CHECKSUM", "sha256:" + sha256(dir.resolve(file)));
        return env;
    }

    /** A file's SHA-256 in hex; zeros when there is no such file. */
    private static String sha256(Path file) throws Exception {
        if (!Files.isRegularFile(file)) {
            return "0".repeat(64);
        }
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
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
        Map<String, String> env = env("disk.img.zst");
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

    /**
     * A 32 MiB loop device full of random bytes, for the 24 MiB image and what lies past it; with
     * partition scanning, so that blockdev can re-read its partition table.
     */
    private record Disk(String device, Path file) implements AutoCloseable {

        static Disk random() throws Exception {
            Path f = dir.resolve("disk-" + System.nanoTime());
            sh("head -c " + (32L << 20) + " /dev/urandom > " + f);
            return new Disk(sh("losetup --show -f -P " + f).trim(), f);
        }

        /** The bytes from {@code at}, {@code length} of them. */
        byte[] read(long at, int length) throws IOException {
            try (FileChannel c = FileChannel.open(Path.of(device))) {
                ByteBuffer b = ByteBuffer.allocate(length);
                while (b.hasRemaining() && c.read(b, at + b.position()) > 0) {
                    // until full
                }
                return b.array();
            }
        }

        byte[] head() throws IOException {
            return read(0, 1 << 20);
        }

        byte[] tail() throws IOException {
            return read((32L << 20) - (1 << 20), 1 << 20);
        }

        /** Both ends zero, and neither sfdisk nor blkid (probing the disk itself) finds a partition table. */
        void assertWiped() throws Exception {
            Sh.Result sfdisk = Sh.run(List.of("sfdisk", "-d", device), Duration.ofSeconds(30));
            assertTrue(sfdisk.status() != 0 && sfdisk.output().contains("does not contain a recognized partition table"), sfdisk.toString());
            Sh.Result blkid = Sh.run(List.of("blkid", "-p", device), Duration.ofSeconds(30));
            assertEquals(2, blkid.status(), "blkid -p finds nothing: " + blkid);
            assertArrayEquals(new byte[1 << 20], head(), "the first MiB is zero");
            assertArrayEquals(new byte[1 << 20], tail(), "the last MiB is zero");
        }

        @Override
        public void close() throws Exception {
            sh("losetup -d " + device + " && rm -f " + file);
        }
    }

    @Test
    void aTamperedImageIsWipedBeforeTheActionFails() throws Exception {
        // the image with one byte changed in its file system, and the checksum of the real one
        byte[] b = Files.readAllBytes(image);
        b[12 << 20] ^= 1;
        Files.write(dir.resolve("tampered.raw"), b);
        try (Disk disk = Disk.random()) {
            Map<String, String> env = env("tampered.raw");
            env.put("COMPRESSED", "false");
            env.put("DEST_DISK", disk.device());
            env.put("IMG_CHECKSUM", "sha256:" + sha256(image));
            List<String> log = new CopyOnWriteArrayList<>();
            ActionException e = assertThrows(ActionException.class, () -> run(env, log));
            assertEquals(Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
            disk.assertWiped();
            assertEquals("IMG_CHECKSUM mismatch: " + env.get("IMG_URL") + " has sha256 " + sha256(dir.resolve("tampered.raw"))
                    + ", expected " + sha256(image) + "; the first and last MiB of " + disk.device()
                    + " were zeroed so that the unverified image cannot boot; partition table re-read", e.getMessage());
            assertTrue(log.stream().anyMatch(l -> l.startsWith("the first and last MiB of " + disk.device() + " were zeroed")), log.toString());
            // only the ends: the rest of the image is still there, for whoever wants to look at it
            assertArrayEquals(Arrays.copyOfRange(b, 1 << 20, 23 << 20), disk.read(1 << 20, 22 << 20));
        }
    }

    @Test
    void anImageCutShortIsWipedAndOneThatNeverStartedIsLeftAlone() throws Exception {
        // a download that ends halfway (say, tampered with and then cut): part of an image is on the disk
        Path whole = dir.resolve("disk.img.gz");
        byte[] gz = Files.readAllBytes(whole);
        Files.write(dir.resolve("cut.img.gz"), Arrays.copyOf(gz, gz.length / 2));
        try (Disk disk = Disk.random()) {
            Map<String, String> env = env("cut.img.gz");
            env.put("DEST_DISK", disk.device());
            env.put("IMG_CHECKSUM", "sha256:" + sha256(whole));
            ActionException e = assertThrows(ActionException.class, () -> run(env, new CopyOnWriteArrayList<>()));
            assertEquals(Reason.UNSUPPORTED, e.reason(), e.getMessage());
            disk.assertWiped();
            assertTrue(e.getMessage().contains("is not valid gzip data") && e.getMessage().endsWith("; the first and last MiB of " + disk.device()
                    + " were zeroed so that the partly written image cannot boot; partition table re-read"), e.getMessage());
        }
        // data that is not gzip at all fails before a byte is written: the disk keeps what it had
        try (Disk disk = Disk.random()) {
            byte[] head = disk.head();
            byte[] tail = disk.tail();
            Map<String, String> env = env("disk.raw");
            env.put("COMPRESSION", "gzip");
            env.put("DEST_DISK", disk.device());
            ActionException e = assertThrows(ActionException.class, () -> run(env, new CopyOnWriteArrayList<>()));
            assertEquals(Reason.UNSUPPORTED, e.reason(), e.getMessage());
            assertFalse(e.getMessage().contains("zeroed"), e.getMessage());
            assertArrayEquals(head, disk.head());
            assertArrayEquals(tail, disk.tail());
        }
    }

    @Test
    void theRightChecksumLeavesTheImageAndWhatLiesPastIt() throws Exception {
        try (Disk disk = Disk.random()) {
            byte[] tail = disk.tail();
            Map<String, String> env = env("disk.img.zst");
            env.put("DEST_DISK", disk.device());
            ActionResult r = run(env, new CopyOnWriteArrayList<>());
            assertTrue(r.message().contains("sha256 verified; partition table re-read"), r.message());
            sh("cmp -n " + DISK + " " + image + " " + disk.device());
            assertArrayEquals(tail, disk.tail(), "past the image, the disk is as it was");
            assertTrue(sh("sfdisk -d " + disk.device()).contains("type=83"));
        }
    }

    @Test
    void plainHttpWantsAChecksumUnlessTheOperatorSaysOtherwise() throws Exception {
        sh("dd if=/dev/zero of=" + target + " bs=1M count=24 status=none");
        Map<String, String> env = env("disk.img.zst");
        env.remove("IMG_CHECKSUM");
        int before = requests.get();
        ActionException refused = assertThrows(ActionException.class, () -> run(env, new CopyOnWriteArrayList<>()));
        assertEquals(Reason.INVALID_INPUT, refused.reason());
        assertEquals("IMG_CHECKSUM (sha256:HEX or sha512:HEX) is required for an http:// IMG_URL, whose image anyone on the way can alter; "
                + "give it, use https://, or set INSECURE_NO_IMG_CHECKSUM_VERIFICATION=true", refused.getMessage());
        env.put("INSECURE_NO_IMG_CHECKSUM_VERIFICATION", "no");
        assertEquals(Reason.INVALID_INPUT, assertThrows(ActionException.class, () -> run(env, new CopyOnWriteArrayList<>())).reason());
        assertEquals(before, requests.get(), "refused before anything was fetched");

        env.put("INSECURE_NO_IMG_CHECKSUM_VERIFICATION", "true");
        List<String> log = new CopyOnWriteArrayList<>();
        ActionResult r = run(env, log);
        assertFalse(r.message().contains("verified"), r.message());
        assertTrue(log.contains("warning: writing " + env.get("IMG_URL") + " unverified, over plain HTTP without IMG_CHECKSUM "
                + "(INSECURE_NO_IMG_CHECKSUM_VERIFICATION=true)"), log.toString());
        assertInstalled();

        // https:// needs no checksum: nothing listens on port 1, so the action gets as far as connecting
        Map<String, String> tls = env("disk.img.zst");
        tls.remove("IMG_CHECKSUM");
        tls.put("IMG_URL", "https://127.0.0.1:1/disk.img.zst");
        assertEquals(Reason.SOURCE_UNAVAILABLE, assertThrows(ActionException.class, () -> run(tls, new CopyOnWriteArrayList<>())).reason());
    }
}
