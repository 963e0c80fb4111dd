package io.ironbell.bmc.redfish.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.api.bmc.SensorReading;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.Sh;
import io.ironbell.testing.TempDirs;
import io.ironbell.testing.TestPki;
import io.ironbell.testing.VmBmc;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redfish driver against the project's Redfish service (its chassis in files), which is first
 * checked with Ironic's own client library, python3-sushy, so that the driver is not tested
 * against a mirror of itself.
 */
class RedfishDriverTest {

    private static Path work;
    private static TestPki pki;
    private static VmBmc bmc;
    private static HttpServer files;
    private static RedfishDriver driver;
    private static String ca;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("redfish-driver");
        pki = TestPki.create(work.resolve("pki"));
        pki.issue("bmc", List.of("127.0.0.1"));
        ca = Files.readString(pki.ca());
        bmc = VmBmc.redfish(work.resolve("chassis"), "127.0.0.1", FreePort.find(), "admin", "s3cret-pw", work.resolve("pki/bmc.pem"),
                pki.key("bmc"), List.of());
        Files.createDirectories(work.resolve("www"));
        Files.write(work.resolve("www/boot.iso"), new byte[64 * 1024]);
        files = io.ironbell.testing.FileServer.serve(work.resolve("www"));
        driver = new RedfishDriver(config(""));
    }

    @AfterAll
    static void stop() throws Exception {
        if (bmc != null) {
            bmc.close();
        }
        if (files != null) {
            files.stop(0);
        }
        TempDirs.delete(work);
    }

    private static String iso() {
        return "http://127.0.0.1:" + files.getAddress().getPort() + "/boot.iso";
    }

    private static BmcEndpoint endpoint(String url, String password, boolean insecure, String caPem, Map<String, String> options,
            Duration timeout) {
        java.net.URI u = java.net.URI.create(url);
        return new BmcEndpoint(u.getHost(), u.getPort(), "admin", password, insecure, caPem, options, timeout);
    }

    private static BmcEndpoint good() {
        return endpoint(bmc.url(), "s3cret-pw", false, ca, Map.of(), Duration.ofSeconds(10));
    }

    @Test
    void theServiceSpeaksRedfishAsSushyReadsIt() throws Exception {
        Sh.Result r = bmc.checkWithSushy("admin", "s3cret-pw", pki.ca(), iso(), List.of());
        System.out.println(r.output());
        assertEquals(0, r.status(), r.output() + r.errors());
        assertTrue(r.output().contains("ok   media ejected") && r.output().contains("ok   a wrong password is refused"), r.output());
    }

    @Test
    void powerBootAndVirtualMediaThroughASession() throws Exception {
        try (BmcSession s = driver.open(good())) {
            s.power(PowerAction.OFF);
            assertEquals(PowerState.OFF, s.powerState());
            s.power(PowerAction.ON);
            assertEquals(PowerState.ON, s.powerState());
            s.power(PowerAction.CYCLE);
            assertEquals(PowerState.ON, s.powerState());
            s.bootDevice(BootDevice.PXE, false, true);
            assertEquals("pxe", Files.readString(bmc.chassis().resolve("boot")));
            assertEquals("once", Files.readString(bmc.chassis().resolve("boot-mode")));
            assertEquals("1", Files.readString(bmc.chassis().resolve("boot-uefi")));
            s.bootDevice(BootDevice.DISK, true, false);
            assertEquals("disk", Files.readString(bmc.chassis().resolve("boot")));
            assertEquals("persistent", Files.readString(bmc.chassis().resolve("boot-mode")));
            s.insertMedia(iso());
            assertEquals(iso(), Files.readString(bmc.chassis().resolve("media-url")));
            assertEquals(64 * 1024, Files.size(bmc.chassis().resolve("media.iso")), "the service fetched the image, as a BMC does");
            s.insertMedia(iso());
            s.ejectMedia();
            assertEquals("", Files.readString(bmc.chassis().resolve("media")));
            s.ejectMedia();
            Map<String, String> inventory = s.inventory();
            assertEquals("QEMU", inventory.get("manufacturer"), inventory.toString());
            assertEquals("1", inventory.get("processors"), inventory.toString());
            List<SensorReading> sensors = s.sensors();
            assertEquals(41.0, sensors.stream().filter(x -> x.name().equals("CPU1 Temp")).findFirst().orElseThrow().value());
            s.power(PowerAction.SOFT);
        }
        String log = Files.readString(bmc.chassis().resolve("log"));
        assertTrue(log.contains("\"POST /redfish/v1/SessionService/Sessions"), log);
        assertTrue(log.contains("\"DELETE /redfish/v1/SessionService/Sessions/"), "the session was closed: " + log);
        assertTrue(log.contains("media insert") && log.contains("media eject"), log);
        assertTrue(driver.probe(good()));
        assertFalse(driver.probe(endpoint("https://127.0.0.1:" + FreePort.find(), "x", false, ca, Map.of(), Duration.ofSeconds(2))));
    }

    @Test
    void basicAuthWhenTheMachineAsksForIt() throws Exception {
        try (BmcSession s = driver.open(endpoint(bmc.url(), "s3cret-pw", false, ca, Map.of("useBasicAuth", "true", "systemName", "1"),
                Duration.ofSeconds(10)))) {
            s.power(PowerAction.STATUS);
        }
        BmcException e = assertThrows(BmcException.class, () -> driver.open(endpoint(bmc.url(), "s3cret-pw", false, ca,
                Map.of("systemName", "7"), Duration.ofSeconds(10))));
        assertEquals(Reason.CONFIG, e.reason(), e.getMessage());
    }

    @Test
    void wrongCredentialsUntrustedOrMismatchedCertificatesAndNoBmcEachSayWhy() throws Exception {
        BmcException auth = assertThrows(BmcException.class, () -> driver.open(endpoint(bmc.url(), "wrong", false, ca, Map.of(),
                Duration.ofSeconds(10))));
        assertEquals(Reason.AUTH, auth.reason(), auth.getMessage());
        BmcException untrusted = assertThrows(BmcException.class, () -> driver.open(endpoint(bmc.url(), "s3cret-pw", false, null, Map.of(),
                Duration.ofSeconds(10))));
        assertEquals(Reason.TLS, untrusted.reason(), untrusted.getMessage());

        // a certificate of the right CA for another name
        pki.issue("other", List.of("other.example"));
        try (VmBmc wrongName = VmBmc.redfish(work.resolve("chassis-other"), "127.0.0.1", FreePort.find(), "admin", "s3cret-pw",
                work.resolve("pki/other.pem"), pki.key("other"), List.of())) {
            BmcException mismatch = assertThrows(BmcException.class, () -> driver.open(endpoint(wrongName.url(), "s3cret-pw", false, ca,
                    Map.of(), Duration.ofSeconds(10))));
            assertEquals(Reason.TLS, mismatch.reason(), mismatch.getMessage());
            try (BmcSession s = driver.open(endpoint(wrongName.url(), "s3cret-pw", true, null, Map.of(), Duration.ofSeconds(10)))) {
                assertEquals(PowerState.OFF, s.powerState(), "insecureTls: true accepts it");
            }
        }
        long t0 = System.nanoTime();
        BmcException none = assertThrows(BmcException.class, () -> driver.open(endpoint("https://127.0.0.1:" + FreePort.find(), "x", false,
                ca, Map.of(), Duration.ofSeconds(5))));
        assertEquals(Reason.UNREACHABLE, none.reason(), none.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
    }

    @Test
    void aHungBmcTimesOutAndATaskThatNeverEndsToo() throws Exception {
        try (BmcSession s = driver.open(endpoint(bmc.url(), "s3cret-pw", false, ca, Map.of("taskTimeoutSeconds", "3"),
                Duration.ofSeconds(2)))) {
            Files.writeString(bmc.chassis().resolve("task-never-ends"), "1");
            long t0 = System.nanoTime();
            BmcException task = assertThrows(BmcException.class, () -> s.insertMedia(iso()));
            assertEquals(Reason.TIMEOUT, task.reason(), task.getMessage());
            assertTrue(task.getMessage().contains("still Running"), task.getMessage());
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L);
            Files.delete(bmc.chassis().resolve("task-never-ends"));

            Files.writeString(bmc.chassis().resolve("hang"), "6");
            long t1 = System.nanoTime();
            BmcException hung = assertThrows(BmcException.class, s::powerState);
            assertEquals(Reason.TIMEOUT, hung.reason(), hung.getMessage());
            assertTrue(System.nanoTime() - t1 < 4_000_000_000L, "the 2 s timeout, not the BMC's 6 s");
        } finally {
            Files.deleteIfExists(bmc.chassis().resolve("hang"));
            Files.deleteIfExists(bmc.chassis().resolve("task-never-ends"));
        }
    }

    @Test
    void quirksFromTheOperatorsFileChangeHowMediaAreInserted() throws Exception {
        Path quirks = work.resolve("quirks.json");
        Files.writeString(quirks, "[{\"name\": \"this test's BMC\", \"manufacturer\": \"QEMU\", \"quirks\": [\"virtualMediaByPatch\"]}]");
        RedfishDriver quirky = new RedfishDriver(config(quirks.toString()));
        long before = Files.readAllLines(bmc.chassis().resolve("log")).size();
        try (BmcSession s = quirky.open(good())) {
            s.insertMedia(iso());
            s.ejectMedia();
        }
        List<String> lines = Files.readAllLines(bmc.chassis().resolve("log"));
        List<String> now = lines.subList((int) before, lines.size());
        assertTrue(now.stream().anyMatch(l -> l.contains("\"PATCH /redfish/v1/Managers/1/VirtualMedia/Cd")), now.toString());
        assertFalse(now.stream().anyMatch(l -> l.contains("VirtualMedia.InsertMedia")), now.toString());
    }

    private static RedfishDriver.Config config(String quirksFile) {
        return new RedfishDriver.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RedfishDriver.Config.class;
            }

            @Override
            public String quirksFile() {
                return quirksFile;
            }
        };
    }
}
