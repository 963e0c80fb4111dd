package io.ironbell.action.archive2disk;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.FileServer;
import io.ironbell.testing.TestActionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * archive2disk against real parts: archives made by GNU tar (owners, setuid and sticky modes,
 * symbolic and hard links, times, an empty directory) and compressed by the real gzip, xz and zstd,
 * hostile archives made with Python's tarfile, served over HTTP and extracted onto ext4 on a loop
 * device, then checked with stat and readlink on the mounted file system. Needs root, tar,
 * python3, e2fsprogs and the compressors (.ci/prepare installs them); fails, never skips, without them.
 */
class Archive2DiskTest {

    private static Path dir;
    private static HttpServer http;
    private String loop;
    private Path fs;

    @BeforeAll
    static void makeArchives() throws Exception {
        assertEquals("0", sh("id -u").trim(), "Archive2DiskTest needs root for loop devices and owners");
        dir = Files.createTempDirectory("archive2disk");
        Path src = dir.resolve("src");
        sh("mkdir -p " + src + "/etc " + src + "/usr/bin " + src + "/tmp " + src + "/var/empty"
                + " && printf 'node-7\\n' > " + src + "/etc/hostname && chown 1234:5678 " + src + "/etc/hostname && chmod 0640 " + src + "/etc/hostname"
                + " && head -c 2000000 /dev/urandom > " + src + "/usr/bin/tool && chmod 4755 " + src + "/usr/bin/tool"
                + " && ln " + src + "/usr/bin/tool " + src + "/usr/bin/tool-again"
                + " && ln -s /usr/share/motd " + src + "/etc/motd"
                + " && chmod 1777 " + src + "/tmp && chmod 0700 " + src + "/var/empty"
                + " && touch -h -d '2020-01-02 03:04:05 UTC' " + src + "/etc/hostname " + src + "/etc/motd " + src + "/etc " + src + "/var/empty"
                + " && cd " + src + " && tar --numeric-owner -cf " + dir.resolve("os.tar") + " etc usr tmp var"
                + " && cd " + dir + " && gzip -k os.tar && xz -k -T1 os.tar && zstd -q os.tar -o os.tar.zst && cp os.tar.gz corrupt.tar.gz"
                + " && printf 'garbage' | dd of=corrupt.tar.gz bs=1 seek=100 conv=notrunc status=none");
        sh("cd " + dir + " && python3 - <<'EOF'\n"
                + "import tarfile, io\n"
                + "def add(t, name, data=b'x', kind=tarfile.REGTYPE, link=''):\n"
                + "    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0\n"
                + "    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)\n"
                + "with tarfile.open('dotdot.tar', 'w') as t:\n"
                + "    add(t, 'fine.txt'); add(t, '../evil.txt')\n"
                + "with tarfile.open('through-link.tar', 'w') as t:\n"
                + "    add(t, 'a', kind=tarfile.SYMTYPE, link='" + dir.resolve("outside") + "'); add(t, 'a/x.txt')\n"
                + "with tarfile.open('hardlink-out.tar', 'w') as t:\n"
                + "    add(t, 'passwd', kind=tarfile.LNKTYPE, link='../../../../etc/passwd')\n"
                + "EOF");
        Files.createDirectories(dir.resolve("outside"));
        http = FileServer.serve(dir);
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.stop(0);
        }
        io.ironbell.testing.TempDirs.delete(dir);
    }

    @BeforeEach
    void newFileSystem() throws Exception {
        fs = dir.resolve("fs-" + System.nanoTime() + ".img");
        sh("truncate -s 32M " + fs + " && mkfs.ext4 -q -F " + fs);
        loop = sh("losetup --show -f " + fs).trim();
    }

    @AfterEach
    void dropFileSystem() throws Exception {
        sh("losetup -d " + loop + " && rm -f " + fs);
    }

    private Map<String, String> env(String file, String destPath) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("ARCHIVE_URL", "http://127.0.0.1:" + http.getAddress().getPort() + "/" + file);
        env.put("DEST_DISK", loop);
        env.put("FS_TYPE", "ext4");
        env.put("DEST_PATH", destPath);
        env.put("TARFILE_CHECKSUM", "sha256:" + (Files.isRegularFile(dir.resolve(file))
                ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(file)))) : "1".repeat(64)));
        return env;
    }

    private static ActionResult run(Map<String, String> env) throws Exception {
        return new Archive2Disk().execute(new TestActionContext("quay.io/tinkerbell-actions/archive2disk:v1.0.0", env));
    }

    /** Runs a command on the file system, mounted read-only for it. */
    private String onFs(String command) throws Exception {
        Path m = Files.createDirectories(dir.resolve("check"));
        sh("mount -o ro " + loop + " " + m);
        try {
            return sh("cd " + m + " && " + command);
        } finally {
            sh("umount " + m);
        }
    }

    @Test
    void everyCompressionKeepsContentModesOwnersLinksAndTimes() throws Exception {
        for (String file : List.of("os.tar", "os.tar.gz", "os.tar.xz", "os.tar.zst")) {
            ActionResult r = run(env(file, "/"));
            assertTrue(r.message().startsWith("extracted 10 entries (2 files, 6 directories, 1 symbolic links, 1 hard links"), file + ": " + r.message());
            assertTrue(r.message().contains("sha256 verified"), r.message());
            assertTrue(!sh("mount").contains(loop), "unmounted after " + file);
            String stat = onFs("stat -c '%n %a %u:%g %Y' etc etc/hostname usr/bin/tool tmp var/empty && readlink etc/motd"
                    + " && stat -c %i usr/bin/tool usr/bin/tool-again && cat etc/hostname && sha256sum usr/bin/tool && ls -a");
            assertTrue(stat.contains("etc/hostname 640 1234:5678 1577934245"), file + ":\n" + stat);
            assertTrue(stat.contains("etc 755 0:0 1577934245"), "a directory's time is set after its contents:\n" + stat);
            assertTrue(stat.contains("usr/bin/tool 4755 0:0"), "setuid kept:\n" + stat);
            assertTrue(stat.contains("tmp 1777 0:0"), "sticky kept:\n" + stat);
            assertTrue(stat.contains("var/empty 700 0:0 1577934245"), stat);
            assertTrue(stat.contains("/usr/share/motd"), "link target kept as written:\n" + stat);
            String[] lines = stat.split("\n");
            assertEquals(lines[6], lines[7], "hard link shares the inode");
            assertTrue(stat.contains("node-7"), stat);
            assertTrue(stat.contains(sh("sha256sum " + dir.resolve("src/usr/bin/tool")).split(" ")[0]), stat);
            assertTrue(!stat.contains(".ironbell-archive2disk"), "the staging directory is gone:\n" + stat);
        }
    }

    @Test
    void anExistingTreeIsMergedUnderDestPath() throws Exception {
        Path m = Files.createDirectories(dir.resolve("prep"));
        sh("mount " + loop + " " + m + " && mkdir -p " + m + "/srv/app/etc && echo keep > " + m + "/srv/app/etc/kept && echo old > "
                + m + "/srv/app/etc/hostname && umount " + m);
        run(env("os.tar.zst", "/srv/app"));
        String out = onFs("cat srv/app/etc/kept srv/app/etc/hostname && ls srv/app");
        assertEquals("keep\nnode-7\netc\ntmp\nusr\nvar\n", out);
    }

    @Test
    void aBadChecksumInstallsNothing() throws Exception {
        Map<String, String> env = env("os.tar.gz", "/");
        env.put("TARFILE_CHECKSUM", "sha256:" + "0".repeat(64));
        String before = onFs("find . | sort");
        ActionException e = assertThrows(ActionException.class, () -> run(env));
        assertEquals(Reason.CHECKSUM_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("expected " + "0".repeat(64)) && e.getMessage().contains("nothing was installed"), e.getMessage());
        assertEquals(before, onFs("find . | sort"), "the file system is as it was");
        assertTrue(!sh("mount").contains(loop));
    }

    @Test
    void entriesThatWouldLeaveDestPathAreRefusedAndNothingIsWritten() throws Exception {
        String before = onFs("find . | sort");
        for (String file : List.of("dotdot.tar", "through-link.tar", "hardlink-out.tar")) {
            ActionException e = assertThrows(ActionException.class, () -> run(env(file, "/data")), file);
            assertEquals(Reason.INVALID_INPUT, e.reason(), file + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(file.equals("dotdot.tar") ? "'../evil.txt' leads out of DEST_PATH"
                    : file.equals("through-link.tar") ? "'a/x.txt' goes through the symbolic link a"
                    : "'../../../../etc/passwd' leads out of DEST_PATH"), e.getMessage());
        }
        assertEquals(List.of(), List.of(dir.resolve("outside").toFile().list()), "nothing was written where the link pointed");
        assertTrue(!Files.exists(dir.resolve("evil.txt")));
        java.util.Set<String> after = new java.util.TreeSet<>(List.of(onFs("find .").split("\n")));
        java.util.Set<String> expected = new java.util.TreeSet<>(List.of(before.split("\n")));
        expected.add("./data");
        assertEquals(expected, after, "only DEST_PATH itself was made");
    }

    @Test
    void badInputFailsWithItsReason() throws Exception {
        Map<String, Map<String, String>> cases = new HashMap<>();
        Map<String, String> noChecksum = env("os.tar", "/");
        noChecksum.remove("TARFILE_CHECKSUM");
        cases.put("TARFILE_CHECKSUM (sha256:HEX or sha512:HEX) is required", noChecksum);
        Map<String, String> noUrl = env("os.tar", "/");
        noUrl.remove("ARCHIVE_URL");
        cases.put("environment variable ARCHIVE_URL is required", noUrl);
        cases.put("answered 404", env("missing.tar.gz", "/"));
        Map<String, String> badType = env("os.tar", "/");
        badType.put("ARCHIVE_TYPE", "rar");
        cases.put("ARCHIVE_TYPE must be tar, targz, tarxz, tarzst or tarbz2, was 'rar'", badType);
        Map<String, String> corrupt = env("corrupt.tar.gz", "/");
        corrupt.remove("TARFILE_CHECKSUM");
        corrupt.put("INSECURE_NO_TARFILE_CHECKSUM_VERIFICATION", "true");
        cases.put("could not be extracted as a gzip tar", corrupt);
        cases.put("DEST_PATH must not contain '..'", env("os.tar", "/srv/../../x"));
        for (Map.Entry<String, Map<String, String>> c : cases.entrySet()) {
            ActionException e = assertThrows(ActionException.class, () -> run(c.getValue()), c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), c.getKey() + " vs " + e.getMessage());
        }
        assertTrue(!sh("mount").contains(loop), "every failure unmounted");
    }

}
