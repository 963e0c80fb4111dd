package io.ironbell.bmc.ipmi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.testing.FreePort;
import io.ironbell.testing.IpmiSim;
import io.ironbell.testing.Sh;
import io.ironbell.testing.TempDirs;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The IPMI driver against a real BMC: OpenIPMI's ipmi_sim, its chassis kept in files. */
class IpmiDriverTest {

    private static Path work;
    private static IpmiSim sim;
    private static IpmiDriver driver;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("ipmi-driver");
        sim = IpmiSim.start(work.resolve("bmc"), "127.0.0.1", FreePort.find(), "admin", "s3cret-pw", IpmiSim.stateScript(work), 0,
                List.of());
        driver = new IpmiDriver(config("ipmitool", "3,8,12,17"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (sim != null) {
            sim.close();
        }
        TempDirs.delete(work);
    }

    private static BmcEndpoint endpoint(String password, Map<String, String> options, Duration timeout) {
        return new BmcEndpoint("127.0.0.1", sim.port(), "admin", password, false, null, options, timeout);
    }

    @Test
    void powersTheChassisAndSetsTheBootDeviceWithSuite3() throws Exception {
        try (BmcSession s = driver.open(endpoint("s3cret-pw", Map.of(), Duration.ofSeconds(10)))) {
            s.power(PowerAction.OFF);
            assertEquals(PowerState.OFF, s.powerState());
            s.power(PowerAction.ON);
            assertEquals(PowerState.ON, s.powerState());
            assertEquals("1", Files.readString(sim.chassis().resolve("power")).strip(), "the chassis script was told to power on");
            s.bootDevice(BootDevice.PXE, false, true);
            assertEquals("pxe", Files.readString(sim.chassis().resolve("boot")).strip());
            s.bootDevice(BootDevice.DISK, true, false);
            assertEquals("default", Files.readString(sim.chassis().resolve("boot")).strip(), "ipmi_sim's word for the disk");
            s.power(PowerAction.SOFT);
            assertEquals(PowerState.OFF, s.powerState());
            Map<String, String> inventory = s.inventory();
            assertEquals("2.0", inventory.get("ipmiVersion"), inventory.toString());
            assertEquals("4753", inventory.get("manufacturerId"), inventory.toString());
        }
        assertTrue(driver.probe(endpoint(null, Map.of(), Duration.ofSeconds(2))), "an RMCP ping needs no credentials");
        assertFalse(driver.probe(new BmcEndpoint("127.0.0.1", FreePort.find(), "admin", null, false, null, Map.of(), Duration.ofSeconds(1))));
    }

    @Test
    void aWrongPasswordIsAnAuthenticationFailure() throws Exception {
        try (BmcSession s = driver.open(endpoint("wrong-pw", Map.of(), Duration.ofSeconds(10)))) {
            BmcException e = assertThrows(BmcException.class, s::powerState);
            assertEquals(Reason.AUTH, e.reason(), e.getMessage());
            assertFalse(e.retryable());
        }
    }

    /** Suite 0 lets anyone in: shown against the simulator with ipmitool itself, then refused by the driver. */
    @Test
    void cipherSuite0IsRefusedBeforeAnythingIsSentForTheBmcWouldTakeAnyPassword() throws Exception {
        Sh.Result open = Sh.run(new ProcessBuilder("ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", Integer.toString(sim.port()),
                "-U", "admin", "-P", "not-the-password", "-C", "0", "chassis", "power", "status"), Duration.ofSeconds(20));
        assertEquals(0, open.status(), "the simulator accepts a wrong password with suite 0: " + open.output() + open.errors());
        int before = Files.exists(sim.chassis().resolve("log")) ? Files.readAllLines(sim.chassis().resolve("log")).size() : 0;
        BmcException e = assertThrows(BmcException.class, () -> driver.open(endpoint("s3cret-pw", Map.of("cipherSuite", "0"), Duration.ofSeconds(5))));
        assertEquals(Reason.CONFIG, e.reason());
        assertTrue(e.getMessage().contains("cipher suite 0 authenticates nothing"), e.getMessage());
        assertEquals(before, Files.exists(sim.chassis().resolve("log")) ? Files.readAllLines(sim.chassis().resolve("log")).size() : 0);
        assertEquals(Reason.CONFIG, assertThrows(BmcException.class,
                () -> new IpmiDriver(config("ipmitool", "0,3")).open(endpoint("s3cret-pw", Map.of("cipherSuite", "0"), Duration.ofSeconds(5)))).reason(),
                "not even when the configuration lists it");
        assertEquals(Reason.CONFIG, assertThrows(BmcException.class,
                () -> driver.open(endpoint("s3cret-pw", Map.of("cipherSuite", "1"), Duration.ofSeconds(5)))).reason(), "1 is not allowed");
    }

    @Test
    void suite17WhereTheBmcDoesNotOfferItSaysSo() throws Exception {
        try (BmcSession s = driver.open(endpoint("s3cret-pw", Map.of("cipherSuite", "17"), Duration.ofSeconds(10)))) {
            BmcException e = assertThrows(BmcException.class, s::powerState);
            assertEquals(Reason.CONFIG, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("does not offer cipher suite 17"), e.getMessage());
        }
    }

    @Test
    void anUnreachableBmcFailsInSecondsAndAHungOneAtTheTimeout() throws Exception {
        BmcEndpoint nobody = new BmcEndpoint("127.0.0.1", FreePort.find(), "admin", "x", false, null, Map.of(), Duration.ofSeconds(20));
        long t0 = System.nanoTime();
        try (BmcSession s = driver.open(nobody)) {
            BmcException e = assertThrows(BmcException.class, s::powerState);
            assertEquals(Reason.UNREACHABLE, e.reason(), e.getMessage());
            assertTrue(e.retryable());
        }
        long unreachableMillis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(unreachableMillis < 10_000, unreachableMillis + " ms");

        Files.writeString(sim.chassis().resolve("hang"), "8");
        try (BmcSession s = driver.open(endpoint("s3cret-pw", Map.of(), Duration.ofSeconds(2)))) {
            long t1 = System.nanoTime();
            BmcException e = assertThrows(BmcException.class, () -> s.power(PowerAction.ON));
            long hungMillis = (System.nanoTime() - t1) / 1_000_000;
            assertTrue(e.reason() == Reason.TIMEOUT || e.reason() == Reason.UNREACHABLE, e.reason() + ": " + e.getMessage());
            assertTrue(hungMillis < 4_000, "ended at the 2 s timeout, not after the BMC's 8 s: " + hungMillis + " ms");
        } finally {
            Files.delete(sim.chassis().resolve("hang"));
            // the simulator is single-threaded: it answers again once the hung call returns
            io.ironbell.testing.Await.until("the simulator answers again", Duration.ofSeconds(20), () -> sim.pong() ? true : null);
        }
        System.out.println("IpmiDriverTest: unreachable BMC failed in " + unreachableMillis + " ms");
    }

    private static IpmiDriver.Config config(String tool, String suites) {
        return new IpmiDriver.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return IpmiDriver.Config.class;
            }

            @Override
            public String tool() {
                return tool;
            }

            @Override
            public String cipherSuites() {
                return suites;
            }

            @Override
            public int retries() {
                return 2;
            }
        };
    }
}
