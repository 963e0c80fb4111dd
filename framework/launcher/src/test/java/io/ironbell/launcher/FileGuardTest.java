package io.ironbell.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileGuardTest {

    @TempDir
    Path dir;

    @Test
    void codeAndSettingsOthersMayWriteAreFound() throws Exception {
        String me = System.getProperty("user.name");
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Path props = Files.writeString(conf.resolve("ironbell.properties"), "http.port = 8080\n");
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(props, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of(), FileGuard.problems(me, deploy, conf, dir.resolve("missing")));

        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(props, PosixFilePermissions.fromString("rw-rw-r--"));
        List<String> found = FileGuard.problems(me, deploy, conf);
        assertEquals(List.of(deploy + " is writable by everyone (chmod go-w " + deploy + ")",
                props + " is writable by its group (chmod go-w " + props + ")"), found);
        assertTrue(FileGuard.problems("someone-else", conf).stream().allMatch(p -> p.contains("is owned by") || p.contains("writable")));
    }

    @Test
    void deployedConfigurationOfSecretsAndDirectoriesIsNotApplied() throws Exception {
        Pattern applied = Pattern.compile(FileGuard.DEPLOY_FILTER);
        for (String kept : List.of("vendor.jar", "io.ironbell.http.cfg", "io.ironbell.dhcp.cfg", "io.ironbell.apiary.cfg",
                "io.ironbell.api.cfg.bak", "io.ironbell.syslog.config")) {
            assertTrue(applied.matcher(kept).matches(), kept);
        }
        for (String ignored : List.of("io.ironbell.api.cfg", "io.ironbell.storage.cfg", "io.ironbell.artifacts.cfg",
                "io.ironbell.backup.config", "io.ironbell.worker.cfg", "io.ironbell.tftp.cfg", "io.ironbell.api-second.cfg")) {
            assertTrue(!applied.matcher(ignored).matches(), ignored);
        }
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        Files.writeString(deploy.resolve("io.ironbell.api.cfg"), "token=attacker-chosen-token\n");
        Files.writeString(deploy.resolve("io.ironbell.http.cfg"), "port=9090\n");
        assertEquals(List.of("io.ironbell.api.cfg"), FileGuard.ignoredConfigurations(deploy));
    }
}
