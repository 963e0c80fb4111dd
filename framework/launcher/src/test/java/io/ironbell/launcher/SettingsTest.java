package io.ironbell.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @Test
    void embeddedDefaultsApplyWithoutAFile() throws Exception {
        Settings s = Settings.load(null, Map.of(), Map.of());
        assertEquals("8080", s.all().get("http.port"));
        assertEquals("text", s.all().get("log.format"));
    }

    @Test
    void fileThenEnvironmentThenSystemProperties(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("ironbell.properties"),
                "http.port = 9000\nhttp.address = 127.0.0.1\ncustom.thing = from-file\n");
        Settings fileOnly = Settings.load(file, Map.of(), Map.of());
        assertEquals("9000", fileOnly.all().get("http.port"));
        assertEquals("from-file", fileOnly.all().get("custom.thing"));

        Map<String, String> env = Map.of("IRONBELL_HTTP_PORT", "9001", "IRONBELL_HTTP_MAX_REQUEST_BYTES", "2048",
                "IRONBELL_CUSTOM_THING", "from-env", "PATH", "/usr/bin", "IRONBELL_WORKER_OPTS", "-Xmx64m");
        Settings withEnv = Settings.load(file, env, Map.of());
        assertEquals("9001", withEnv.all().get("http.port"));
        assertEquals("2048", withEnv.all().get("http.maxRequestBytes"), "env matches camel-case keys");
        assertEquals("from-env", withEnv.all().get("custom.thing"));
        assertFalse(withEnv.all().containsKey("path"));
        assertFalse(withEnv.all().containsKey("worker.opts"), "IRONBELL_*_OPTS are the script's JVM options");

        Map<String, String> sys = Map.of("http.port", "9002", "ironbell.http.address", "0.0.0.0",
                "java.version", "17", "user.home", "/root");
        Settings all = Settings.load(file, env, sys);
        assertEquals("9002", all.all().get("http.port"));
        assertEquals("0.0.0.0", all.all().get("http.address"));
        assertFalse(all.all().containsKey("java.version"), "JVM properties are not settings");
        assertFalse(all.all().containsKey("user.home"));
    }

    @Test
    void keysAreGroupedIntoPids() throws Exception {
        Settings s = Settings.load(null, Map.of("IRONBELL_STORAGE_JDBC_URL", "jdbc:postgresql://db/ironbell"), Map.of());
        Map<String, Map<String, String>> pids = s.byPid(Container.LAUNCHER_PREFIXES);
        assertEquals("8080", pids.get("io.ironbell.http").get("port"));
        assertEquals("jdbc:postgresql://db/ironbell", pids.get("io.ironbell.storage").get("jdbc.url"));
        assertFalse(pids.containsKey("io.ironbell.log"), "launcher keys stay in the launcher");
        assertFalse(pids.containsKey("io.ironbell.deploy"));
    }

    @Test
    void malformedValuesNameTheirKey() throws Exception {
        Settings s = Settings.load(null, Map.of("IRONBELL_DEPLOY_POLL", "soon"), Map.of());
        SettingsException e = assertThrows(SettingsException.class, () -> s.getInt("deploy.poll", 300));
        assertTrue(e.getMessage().contains("deploy.poll"), e.getMessage());
        assertTrue(e.getMessage().contains("soon"), e.getMessage());
    }

    @Test
    void valuesOfTheWrongKindAreRefusedWithTheirKey() throws Exception {
        Settings bad = Settings.load(null, Map.of("IRONBELL_HTTP_PORT", "abc"), Map.of());
        SettingsException e = assertThrows(SettingsException.class, bad::validate);
        assertEquals("http.port must be a whole number (default 8080), was 'abc'", e.getMessage());
        Settings typo = Settings.load(null, Map.of(), Map.of("http.prot", "80", "storage.jdbc.url", "jdbc:x"));
        assertEquals(java.util.List.of("http.prot"), typo.validate(), "unknown keys under known prefixes are reported");
    }

    @Test
    void theDistributionFileIsTheEmbeddedDefaults() throws Exception {
        Settings s = Settings.load(null, Map.of(), Map.of());
        assertEquals(Set.of("edition.name", "edition.banner", "log.format", "log.level", "deploy.poll", "http.port", "http.address", "http.maxRequestBytes",
                "http.idleTimeoutSeconds", "http.workerThreads", "http.workerQueue", "http.maxConnections", "http.maxConnectionsPerAddress", "http.requestTimeoutSeconds", "http.maxBufferedRequestBytes", "http.tls", "http.tlsPort", "http.tlsCertificate", "http.tlsKey", "http.tlsNames", "http.tlsCheckSeconds", "storage.jdbc.url", "storage.user",
                "storage.password", "storage.embedded.port", "storage.embedded.startTimeoutSeconds", "storage.pool.size", "storage.pool.timeoutMillis",
                "storage.log.maxLinesPerMachine", "storage.audit.retentionDays", "storage.plugins.trustedKeys", "backup.dir", "archive.target", "archive.spool", "archive.timeoutSeconds", "archive.baseBackupHours", "archive.keepBaseBackups",
                "archive.recoveryTimeoutSeconds", "archive.user", "archive.password", "archive.s3.endpoint", "archive.s3.region", "archive.s3.accessKey",
                "archive.s3.secretKey", "archive.s3.pathStyle", "api.token", "engine.sweepMillis", "engine.maxEventsPerWorkflow", "server.address", "server.instance", "dhcp.enabled", "dhcp.interface", "dhcp.mode", "dhcp.port",
                "dhcp.clientPort", "dhcp.proxyPort", "dhcp.listen", "dhcp.relays", "dhcp.ratePerMac", "dhcp.burstPerMac", "dhcp.pools", "discovery.enabled", "dhcp.probeMillis", "dhcp.declineSeconds", "dhcp.probeThreads", "tftp.enabled", "tftp.root", "tftp.port", "tftp.followLinks", "tftp.maxPerClient", "tftp.maxTransfers",
                "tftp.maxTransferSeconds", "tftp.maxTimeoutSeconds", "tftp.knownHardwareOnly", "metadata.trustedProxies", "metadata.requireToken", "metadata.ratePerAddress", "metadata.burstPerAddress", "syslog.enabled", "syslog.address", "syslog.port", "worker.server", "worker.id", "worker.caFingerprint", "worker.ca", "worker.allowPlainHttp", "worker.bootToken", "worker.token", "worker.stateDir", "worker.longPollSeconds", "worker.pollMillis", "worker.maxBackoffMillis", "worker.graceSeconds", "worker.insecureRegistries", "worker.addressHook", "ipxe.kernel", "ipxe.initrd", "ipxe.kernelArgs",
                "ipxe.exitScript", "ipxe.iso", "ipxe.isoUrlBase", "artifacts.dir", "artifacts.ipxeBinaries", "storage.secrets.keyFile",
                "bmc.jobThreads", "bmc.leaseSeconds", "bmc.callTimeoutSeconds", "bmc.powerPollSeconds", "bmc.powerPollConcurrency",
                "bmc.retryBackoffSeconds", "ipmi.tool", "ipmi.cipherSuites", "ipmi.retries", "redfish.quirksFile"), s.all().keySet());
    }
}
