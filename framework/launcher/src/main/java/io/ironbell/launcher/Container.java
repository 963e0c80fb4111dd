package io.ironbell.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRevision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Felix framework: installs the system bundles from {@code bundle/} (and
 * {@code bundle/console/} with the Gogo shell when asked), hands each component its
 * configuration through ConfigAdmin before any component activates, then starts everything,
 * FileInstall last so that {@code deploy/} is watched once the core is up.
 */
final class Container {

    /** Key prefixes the launcher reads itself; they do not become ConfigAdmin PIDs. */
    static final Set<String> LAUNCHER_PREFIXES = Set.of("log", "deploy", "edition", "archive");

    private static final Logger LOG = LoggerFactory.getLogger(Container.class);
    private static final String CONFIG_ADMIN_BSN = "org.apache.felix.configadmin";
    private static final String FILE_INSTALL_BSN = "org.apache.felix.fileinstall";

    private final IronbellHome home;
    private final Settings settings;
    private final boolean console;
    private Framework framework;

    Container(IronbellHome home, Settings settings, boolean console) {
        this.home = home;
        this.settings = settings;
        this.console = console;
    }

    /** Starts the framework and every bundle; returns when all are started. */
    void start() throws BundleException, SettingsException, IOException {
        Files.createDirectories(home.deploy());
        Files.createDirectories(home.data());
        for (String ignored : FileGuard.ignoredConfigurations(home.deploy())) {
            LOG.error("deploy/{} is ignored: the settings of {} (secrets, directories) are taken from conf/ironbell.properties only",
                    ignored, FileGuard.PROTECTED_PIDS);
        }
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(frameworkProperties());
        framework.init();
        BundleContext context = framework.getBundleContext();

        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars(home.bundles())) {
            installed.add(context.installBundle(jar.toUri().toString()));
        }
        if (console) {
            for (Path jar : jars(home.bundles().resolve("console"))) {
                installed.add(context.installBundle(jar.toUri().toString()));
            }
        }
        framework.start();

        // Configuration first, so that components activate once, with their real settings.
        Bundle configAdmin = find(installed, CONFIG_ADMIN_BSN);
        if (configAdmin == null) {
            throw new BundleException("no " + CONFIG_ADMIN_BSN + " bundle in " + home.bundles());
        }
        configAdmin.start();
        pushConfiguration(context);

        Bundle fileInstall = null;
        for (Bundle b : installed) {
            if (FILE_INSTALL_BSN.equals(b.getSymbolicName())) {
                fileInstall = b;
            } else if (b != configAdmin && !isFragment(b)) {
                start(b);
            }
        }
        if (fileInstall != null) {
            start(fileInstall);
        }
        LOG.info("started with {} bundles; deploy directory {}", context.getBundles().length, home.deploy());
    }

    /**
     * Starts a bundle; one that cannot start is logged and left, so that the rest of the server
     * runs and {@code /readyz} names it.
     */
    private static void start(Bundle b) {
        try {
            b.start();
        } catch (BundleException e) {
            LOG.error("bundle {} did not start: {}", b.getSymbolicName(), e.getMessage());
        }
    }

    /** Blocks until the framework has stopped. */
    void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops every bundle; returns false when they did not all stop within {@code millis}. */
    boolean stop(long millis) throws BundleException, InterruptedException {
        if (framework == null) {
            return true;
        }
        framework.stop();
        return framework.waitForStop(millis).getType() != org.osgi.framework.FrameworkEvent.WAIT_TIMEDOUT;
    }

    private static Properties facts() throws IOException {
        Properties facts = new Properties();
        try (InputStream in = Container.class.getResourceAsStream("/io/ironbell/launcher/launcher.properties")) {
            facts.load(in);
        }
        return facts;
    }

    /** This distribution's version. */
    static String version() throws IOException {
        return facts().getProperty("version");
    }

    /** What the system bundle exports beside the JRE's packages: the server's and the edition resolver's one list. */
    static String systemPackagesExtra() throws IOException {
        String slf4j = facts().getProperty("slf4j.version");
        return String.join(",",
                "com.sun.management",
                "com.sun.nio.file",
                "org.slf4j;version=" + slf4j,
                // SLF4J 2 keeps the 1.x API: bundles built against it (HikariCP) import [1.6,2)
                "org.slf4j;version=1.7.36",
                "org.slf4j.event;version=" + slf4j,
                "org.slf4j.helpers;version=" + slf4j,
                "org.slf4j.spi;version=" + slf4j);
    }

    // Felix takes objects as property values (felix.log.logger); the OSGi signature says String.
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Map<String, String> frameworkProperties() throws IOException, SettingsException {
        Properties facts = facts();
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, home.data().resolve("felix-cache").toString());
        // Every start installs bundle/ and deploy/ afresh: the files are the truth, not a cache.
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        p.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, systemPackagesExtra());
        p.put("felix.log.logger", new FelixLogBridge());
        p.put("felix.log.level", "2");
        p.put("ironbell.home", home.root().toString());
        p.put("ironbell.version", facts.getProperty("version"));
        p.put("ds.loglevel", "warn");
        p.put("felix.fileinstall.dir", home.deploy().toString());
        p.put("felix.fileinstall.poll", Integer.toString(settings.getInt("deploy.poll", 300)));
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.bundles.new.start", "true");
        p.put("felix.fileinstall.enableConfigSave", "false");
        p.put("felix.fileinstall.filter", FileGuard.DEPLOY_FILTER);
        p.put("felix.fileinstall.log.level", "3");
        p.put("felix.fileinstall.tmpdir", home.data().resolve("tmp").toString());
        p.put("gosh.args", console ? "" : "--nointeractive");
        return (Map) p;
    }

    /**
     * Hands each component's keys to ConfigAdmin. Reflection keeps ConfigAdmin's classes on
     * its side of the framework boundary; only {@link Dictionary} crosses it.
     */
    /** The values of keys that hold secrets (tokens, passwords) replaced, for logs. */
    static Map<String, String> redacted(Map<String, String> config) {
        Map<String, String> out = new java.util.TreeMap<>(config);
        out.replaceAll((k, v) -> k.toLowerCase(java.util.Locale.ROOT).matches(".*(token|password|secret).*") && !v.isEmpty() ? "****" : v);
        return out;
    }

    private void pushConfiguration(BundleContext context) throws BundleException {
        ServiceReference<?> ref = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (ref == null) {
            throw new BundleException("ConfigurationAdmin did not register its service");
        }
        Object admin = context.getService(ref);
        try {
            Method getConfiguration = admin.getClass().getMethod("getConfiguration", String.class, String.class);
            for (Map.Entry<String, Map<String, String>> e : settings.byPid(LAUNCHER_PREFIXES).entrySet()) {
                Object configuration = getConfiguration.invoke(admin, e.getKey(), "?");
                Dictionary<String, Object> dict = new Hashtable<>(e.getValue());
                configuration.getClass().getMethod("update", Dictionary.class).invoke(configuration, dict);
                LOG.debug("configuration {} = {}", e.getKey(), redacted(e.getValue()));
            }
        } catch (ReflectiveOperationException e) {
            throw new BundleException("cannot hand configuration to ConfigAdmin: " + e, e);
        } finally {
            context.ungetService(ref);
        }
    }

    private static List<Path> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    private static Bundle find(List<Bundle> bundles, String bsn) {
        return bundles.stream().filter(b -> bsn.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }
}
