package io.ironbell.action.writefile;

import static io.ironbell.testing.Sh.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.testing.TestActionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * writefile against a real ext4 file system on a loop device: the file lands with its contents,
 * mode and owner, missing directories get DIRMODE; escapes and bad input are refused. Needs root,
 * util-linux and e2fsprogs (.ci/prepare installs them).
 */
class WriteFileTest {

    @TempDir
    Path dir;
    private String disk;

    @BeforeEach
    void fileSystem() throws Exception {
        assertEquals("0", sh("id -u").trim(), "WriteFileTest needs root for loop devices and mount");
        Path img = dir.resolve("fs.img");
        sh("truncate -s 16M " + img + " && mkfs.ext4 -q -F " + img);
        disk = sh("losetup --show -f " + img).trim();
        Path m = Files.createDirectories(dir.resolve("prep"));
        sh("mount " + disk + " " + m + " && mkdir -p " + m + "/etc && ln -s /tmp " + m + "/etc/escape && umount " + m);
    }

    @AfterEach
    void drop() throws Exception {
        sh("losetup -d " + disk);
    }

    private Map<String, String> env(String path) {
        Map<String, String> env = new HashMap<>(Map.of("DEST_DISK", disk, "FS_TYPE", "ext4", "DEST_PATH", path,
                "CONTENTS", "auto eth0\niface eth0 inet dhcp\n", "UID", "1000", "GID", "1001", "MODE", "0600", "DIRMODE", "0750"));
        return env;
    }

    @Test
    void theFileLandsWithItsModeOwnerAndDirectories() throws Exception {
        String msg = new WriteFile().execute(context(env("/etc/network/interfaces.d/eth0"))).message();
        assertTrue(msg.contains("mode 0600") && msg.contains("owner 1000:1001"), msg);
        Path m = Files.createDirectories(dir.resolve("check"));
        sh("mount -o ro " + disk + " " + m);
        try {
            assertEquals("auto eth0\niface eth0 inet dhcp\n", Files.readString(m.resolve("etc/network/interfaces.d/eth0")));
            assertEquals("600 1000 1001", sh("stat -c '%a %u %g' " + m.resolve("etc/network/interfaces.d/eth0")).trim());
            assertEquals("750 1000 1001", sh("stat -c '%a %u %g' " + m.resolve("etc/network")).trim());
            assertEquals("755 0 0", sh("stat -c '%a %u %g' " + m.resolve("etc")).trim(), "existing directories are left as they were");
            assertTrue(sh("ls -a " + m.resolve("etc/network/interfaces.d")).trim().endsWith("eth0"), "no temporary file left");
        } finally {
            sh("umount " + m);
        }
        // writing again replaces it
        Map<String, String> again = env("/etc/network/interfaces.d/eth0");
        again.put("CONTENTS", "replaced\n");
        new WriteFile().execute(context(again));
        sh("mount -o ro " + disk + " " + m);
        try {
            assertEquals("replaced\n", Files.readString(m.resolve("etc/network/interfaces.d/eth0")));
        } finally {
            sh("umount " + m);
        }
    }

    @Test
    void escapesAndBadInputAreRefused() throws Exception {
        Map<String, Reason> expected = Map.of(
                "/../etc/passwd", Reason.INVALID_INPUT,
                "relative/path", Reason.INVALID_INPUT,
                "/etc/escape/owned", Reason.TARGET_FAILED);
        for (Map.Entry<String, Reason> e : expected.entrySet()) {
            ActionException x = assertThrows(ActionException.class, () -> new WriteFile().execute(context(env(e.getKey()))), e.getKey());
            assertEquals(e.getValue(), x.reason(), e.getKey() + ": " + x.getMessage());
        }
        assertTrue(!Files.exists(Path.of("/tmp/owned")), "nothing was written through the link");
        Map<String, String> badMode = env("/etc/x");
        badMode.put("MODE", "0999");
        assertEquals(Reason.INVALID_INPUT, assertThrows(ActionException.class, () -> new WriteFile().execute(context(badMode))).reason());
        Map<String, String> wrongFs = env("/etc/x");
        wrongFs.put("FS_TYPE", "vfat");
        ActionException fs = assertThrows(ActionException.class, () -> new WriteFile().execute(context(wrongFs)));
        assertEquals(Reason.TARGET_FAILED, fs.reason());
        assertTrue(fs.getMessage().contains("mounting"), fs.getMessage());
        Map<String, String> missing = env("/etc/x");
        missing.remove("DEST_PATH");
        assertTrue(assertThrows(ActionException.class, () -> new WriteFile().execute(context(missing))).getMessage().contains("DEST_PATH"));
        assertEquals("", sh("grep " + disk + " /proc/mounts || true").trim(), "every mount was undone");
    }

    private static TestActionContext context(Map<String, String> env) {
        return new TestActionContext("quay.io/tinkerbell-actions/writefile:v1.0.0", env);
    }
}
