package io.ironbell.launcher.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.testing.S3ProxyProcess;
import io.ironbell.testing.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The archive's two stores against the real thing: a directory, and S3 as S3Proxy (a real S3
 * implementation checking AWS signatures) serves it, each checked through a path the store does
 * not use (the directory itself, S3Proxy's files on disk). Retention on real listings.
 */
class ArchiveStoreTest {

    private static Path work;
    private static S3ProxyProcess s3;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("archive-store-test");
        s3 = S3ProxyProcess.start(S3ProxyProcess.jarFromBuild(), work.resolve("s3proxy"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        TempDirs.delete(work);
    }

    private static ArchiveStore s3Store(String target) throws IOException {
        return ArchiveStore.open(target, Map.of("archive.s3.endpoint", s3.endpoint(), "archive.s3.accessKey", S3ProxyProcess.ACCESS_KEY,
                "archive.s3.secretKey", S3ProxyProcess.SECRET_KEY), work);
    }

    private static Path file(String name, byte[] content) throws IOException {
        Path f = work.resolve(name);
        Files.write(f, content);
        return f;
    }

    private static void storesAndReadsBack(ArchiveStore store) throws IOException {
        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        store.put("base/20261206T000000Z/base.tar.gz", file("big", big));
        store.put("wal/000000010000000000000003.gz", file("small", "three".getBytes()));
        store.put("wal/000000010000000000000003.gz", file("small2", "three again".getBytes()));
        Path back = work.resolve("back");
        store.get("base/20261206T000000Z/base.tar.gz", back);
        assertArrayEquals(big, Files.readAllBytes(back));
        store.get("wal/000000010000000000000003.gz", back);
        assertEquals("three again", Files.readString(back), "a second put replaces the object");
        assertThrows(NoSuchFileException.class, () -> store.get("wal/none.gz", back));
        assertEquals(List.of("wal/000000010000000000000003.gz"), store.list("wal/"));
        store.delete("wal/000000010000000000000003.gz");
        store.delete("wal/000000010000000000000003.gz");
        assertEquals(List.of(), store.list("wal/"));
        assertEquals(List.of("base/20261206T000000Z/base.tar.gz"), store.list("base/"));
    }

    @Test
    void aDirectoryStoresAtomicallyAndPrivately() throws Exception {
        Path dir = work.resolve("dir-archive");
        try (ArchiveStore store = ArchiveStore.open("file://" + dir, Map.of(), work)) {
            storesAndReadsBack(store);
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("base/20261206T000000Z/base.tar.gz"))));
            try (var left = Files.walk(dir)) {
                assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
            }
            assertThrows(IOException.class, () -> store.put("../outside", work.resolve("small")));
        }
    }

    @Test
    void s3StoresCreatesItsBucketAndListsPastAThousand() throws Exception {
        try (ArchiveStore store = s3Store("s3://archive-it/fleet-a")) {
            storesAndReadsBack(store);
            // S3Proxy's own files: the object is where S3 put it, whole
            assertEquals(3 << 20, Files.size(s3.objects().resolve("archive-it/fleet-a/base/20261206T000000Z/base.tar.gz")));
            Path one = file("one", new byte[] {1});
            for (int i = 0; i < 1005; i++) {
                store.put(String.format("wal/%024X.gz", i), one);
            }
            List<String> keys = store.list("wal/");
            assertEquals(1005, keys.size(), "a listing follows S3's pages of 1,000");
            assertEquals(String.format("wal/%024X.gz", 1004), keys.get(1004));
        }
        try (ArchiveStore wrongKey = ArchiveStore.open("s3://archive-it/x", Map.of("archive.s3.endpoint", s3.endpoint(),
                "archive.s3.accessKey", S3ProxyProcess.ACCESS_KEY, "archive.s3.secretKey", "not-the-secret"), work)) {
            throw new AssertionError("a wrong secret key was accepted");
        } catch (IOException e) {
            assertTrue(e.getMessage().contains("s3://archive-it/x"), e.getMessage());
        }
    }

    @Test
    void retentionKeepsTheNewestBaseBackupsAndTheWalTheyNeed() throws Exception {
        try (ArchiveStore store = s3Store("s3://archive-it/retention")) {
            Path empty = file("empty", new byte[0]);
            String[][] bases = {{"20261201T000000Z", "000000010000000000000002"}, {"20261202T000000Z", "000000010000000000000005"},
                {"20261203T000000Z", "000000020000000000000009"}};
            for (String[] b : bases) {
                Instant t = Instant.parse(b[0].replaceFirst("(\\d{4})(\\d\\d)(\\d\\d)T(\\d\\d)(\\d\\d)(\\d\\d)Z", "$1-$2-$3T$4:$5:$6Z"));
                store.put("base/" + b[0] + "/base.tar.gz", empty);
                Properties p = new BaseBackup.Info(b[0], "0/0", "0/1", b[1], t, t.plusSeconds(5), 0, 180000).toProperties();
                Path marker = work.resolve("marker");
                try (var out = Files.newOutputStream(marker)) {
                    p.store(out, null);
                }
                store.put("base/" + b[0] + "/backup.properties", marker);
            }
            store.put("base/20261130T000000Z/base.tar.gz", empty); // an abandoned, incomplete one
            List<String> wal = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                wal.add(String.format("wal/%08X%016X.gz", i < 8 ? 1 : 2, i));
            }
            wal.add("wal/00000002.history.gz");
            wal.add("wal/000000010000000000000005.00000028.backup.gz");
            for (String w : wal) {
                store.put(w, empty);
            }
            Retention.apply(store, work, 2);
            assertEquals(List.of("base/20261202T000000Z/backup.properties", "base/20261202T000000Z/base.tar.gz",
                    "base/20261203T000000Z/backup.properties", "base/20261203T000000Z/base.tar.gz"), store.list("base/"));
            List<String> left = store.list("wal/");
            assertEquals("wal/000000010000000000000005.00000028.backup.gz", left.get(0), left.toString());
            assertTrue(left.contains("wal/00000002.history.gz"), "history files stay: " + left);
            assertTrue(left.stream().noneMatch(k -> k.matches("wal/0000000100000000000000(01|02|03|04)\\.gz")), left.toString());
            assertEquals(8, left.size(), left.toString());
        }
    }
}
