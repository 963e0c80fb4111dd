package io.ironbell.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.json.Json;
import io.ironbell.api.metrics.MetricSet;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The distribution's system bundles in a real Felix (Pax Exam, native container): the HTTP
 * whiteboard, readiness, metrics and typed configuration through ConfigAdmin.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ContainerIT {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static int port;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() throws IOException {
        Path bundles = Path.of(System.getProperty("ironbell.distribution")).resolve("bundle");
        List<Option> options = new ArrayList<>();
        try (Stream<Path> jars = Files.list(bundles)) {
            // FileInstall is tested with the distribution as a process; here it would watch ./load.
            jars.filter(p -> p.toString().endsWith(".jar") && !p.getFileName().toString().contains("fileinstall"))
                    .sorted()
                    .forEach(p -> options.add(bundle(p.toUri().toString())));
        }
        String slf4j = System.getProperty("slf4j.version");
        options.add(systemPackages("org.slf4j;version=" + slf4j, "org.slf4j.event;version=" + slf4j,
                "org.slf4j.helpers;version=" + slf4j, "org.slf4j.spi;version=" + slf4j, "com.sun.management"));
        options.add(systemPackages("org.slf4j;version=1.7.36"));
        // the store needs a database: a fresh one on the test PostgreSQL, made here outside OSGi
        try {
            options.add(systemProperty("ironbell.it.jdbc.url").value(TestPostgres.createDatabase()));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        options.add(frameworkProperty("ds.loglevel").value("warn"));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        options.add(junitBundles());
        options.add(cleanCaches());
        return options.toArray(new Option[0]);
    }

    /** Moves the HTTP server to a free port through ConfigAdmin, as the launcher would. */
    @Before
    public void configureHttp() throws Exception {
        if (port == 0) {
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("port", port);
            props.put("tlsPort", 0); // HTTPS on a free port: the routes here are the plain ones
            props.put("address", "127.0.0.1");
            configAdmin.getConfiguration("io.ironbell.http", "?").update(props);
            Dictionary<String, Object> storage = new Hashtable<>();
            storage.put("jdbc.url", System.getProperty("ironbell.it.jdbc.url"));
            storage.put("user", "ironbell");
            storage.put("password", "");
            configAdmin.getConfiguration("io.ironbell.storage", "?").update(storage);
        }
        awaitStatus("/healthz", 200);
        awaitStatus("/readyz", 200);
    }

    @Test
    public void theStoreWorksInsideOsgi() throws Exception {
        HardwareStore store = service(HardwareStore.class);
        HardwareLookup lookup = service(HardwareLookup.class);
        Hardware hw = Json.mapper().readValue("{\"id\":\"osgi-1\",\"network\":{\"interfaces\":[{\"dhcp\":"
                + "{\"mac\":\"52:54:00:0a:0b:0c\",\"ip\":{\"address\":\"10.77.0.5\"}}}]}}", Hardware.class);
        store.push(hw);
        assertEquals("osgi-1", lookup.byMac(MacAddress.parse("52:54:00:0a:0b:0c")).orElseThrow().id());
        assertEquals("osgi-1", lookup.byIp(java.net.InetAddress.getByName("10.77.0.5")).orElseThrow().id());
        assertEquals(hw, store.get("osgi-1"));
        store.delete("osgi-1");
        assertTrue(lookup.byId("osgi-1").isEmpty());
        String metrics = get("/metrics").body();
        assertTrue(metrics, metrics.contains("ironbell_hardware_lookups_total"));
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        org.osgi.util.tracker.ServiceTracker<T, T> t = new org.osgi.util.tracker.ServiceTracker<>(context, type, null);
        t.open();
        T s = t.waitForService(10_000);
        if (s == null) {
            throw new AssertionError("no " + type.getName() + " service");
        }
        return s;
    }

    @Test
    public void everyIronbellBundleIsActive() {
        java.util.Set<String> ours = new java.util.TreeSet<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().startsWith("io.ironbell.")) {
                ours.add(b.getSymbolicName());
                assertEquals(b.getSymbolicName() + " state", Bundle.ACTIVE, b.getState());
            }
        }
        assertTrue(ours.toString(), ours.containsAll(java.util.Set.of("io.ironbell.api", "io.ironbell.http", "io.ironbell.logging",
                "io.ironbell.store")));
    }

    @Test
    public void routeServicesAreServedWhileRegistered() throws Exception {
        assertEquals(404, get("/it/echo/x").statusCode());
        Dictionary<String, Object> routeProps = props(HttpRoute.PATH, "/it/echo/{word}");
        routeProps.put(HttpRoute.PLAIN, true); // this test speaks plain HTTP; HTTPS-only routes are TlsTest's and SecurityIT's
        ServiceRegistration<HttpRoute> reg = context.registerService(HttpRoute.class,
                r -> HttpResponse.text(200, "echo " + r.pathParams().get("word")), routeProps);
        try {
            var res = get("/it/echo/ironbell");
            assertEquals(200, res.statusCode());
            assertEquals("echo ironbell", res.body());
            var post = CLIENT.send(HttpRequest.newBuilder(uri("/it/echo/x")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        } finally {
            reg.unregister();
        }
        var gone = get("/it/echo/ironbell");
        assertEquals(404, gone.statusCode());
        assertTrue(gone.body(), gone.body().contains("\"code\":\"not_found\""));
    }

    @Test
    public void readinessNamesWhatIsNotReady() throws Exception {
        assertEquals(200, get("/readyz").statusCode());
        ServiceRegistration<ReadinessCheck> reg = context.registerService(ReadinessCheck.class,
                () -> ReadinessCheck.Readiness.down("interface eth9 does not exist"),
                props(ReadinessCheck.NAME, "dhcp"));
        try {
            var res = get("/readyz");
            assertEquals(503, res.statusCode());
            assertTrue(res.body(), res.body().contains("\"check\":\"dhcp\""));
            assertTrue(res.body(), res.body().contains("interface eth9 does not exist"));
        } finally {
            reg.unregister();
        }
        assertEquals(200, get("/readyz").statusCode());
    }

    @Test
    public void metricsIncludeProcessFiguresAndPluginSets() throws Exception {
        String before = get("/metrics").body();
        assertTrue(before, before.contains("# TYPE jvm_threads_current gauge"));
        assertTrue(before, before.contains("ironbell_uptime_seconds "));
        assertTrue(before, before.contains("jvm_memory_used_bytes{area=\"heap\"} "));
        assertTrue(before, before.contains("ironbell_http_responses_total{code=\"2xx\"} "));
        ServiceRegistration<MetricSet> reg = context.registerService(MetricSet.class,
                w -> w.counter("ironbell_it_things_total", "things the test counted", 42), null);
        try {
            assertTrue(get("/metrics").body().contains("ironbell_it_things_total 42"));
        } finally {
            reg.unregister();
        }
        assertTrue(!get("/metrics").body().contains("ironbell_it_things_total"));
    }

    @Test
    public void configurationChangesRebindTheServer() throws Exception {
        int other;
        try (ServerSocket s = new ServerSocket(0)) {
            other = s.getLocalPort();
        }
        int original = port;
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("port", other);
        props.put("tlsPort", 0);
        props.put("address", "127.0.0.1");
        configAdmin.getConfiguration("io.ironbell.http", "?").update(props);
        port = other;
        awaitStatus("/healthz", 200);
        port = original;
        assertEquals(-1, statusOrMinusOne("/healthz"));
        props.put("port", original);
        configAdmin.getConfiguration("io.ironbell.http", "?").update(props);
        awaitStatus("/healthz", 200);
    }

    private static Dictionary<String, Object> props(String key, Object value) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put(key, value);
        return d;
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static java.net.http.HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build(), BodyHandlers.ofString());
    }

    private static int statusOrMinusOne(String path) {
        try {
            return get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitStatus(String path, int status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = statusOrMinusOne(path);
            if (last == status) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("GET " + path + " on port " + port + " answered " + last + ", not " + status);
    }
}
