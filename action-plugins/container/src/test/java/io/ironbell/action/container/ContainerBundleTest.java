package io.ironbell.action.container;

import static io.ironbell.action.container.PodmanEngine.IMAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionPlugin;
import io.ironbell.testing.Await;
import io.ironbell.testing.TestActionContext;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * The built bundle (target/classes, as bnd laid it out) in a real Felix beside what the worker
 * holds around it: the API bundle with its Jackson and SnakeYAML bundles, and SCR. It must
 * resolve with the JDK's packages and SLF4J from the system bundle, start, register its
 * ActionPlugin as type "container" with no image prefixes, and run a container with the
 * docker-java, Jackson and JNA copies inside it.
 */
class ContainerBundleTest {

    @Test
    void theBundleResolvesStartsAndRunsAContainerInFelix(@TempDir Path tmp) throws Exception {
        try (PodmanEngine engine = PodmanEngine.start(null)) {
            Framework felix = new FrameworkFactory().newFramework(Map.of(
                    Constants.FRAMEWORK_STORAGE, tmp.resolve("felix-cache").toString(),
                    Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                    // as the launcher does: SLF4J comes from the class path
                    Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=2.0.20"));
            felix.start();
            try {
                BundleContext context = felix.getBundleContext();
                List<Bundle> bundles = new ArrayList<>();
                try (Stream<Path> jars = Files.list(Path.of("target/felix-bundles"))) {
                    for (Path jar : jars.sorted().toList()) {
                        bundles.add(context.installBundle(jar.toUri().toString()));
                    }
                }
                Bundle plugin = context.installBundle("reference:" + Path.of("target/classes").toAbsolutePath().toUri());
                bundles.add(plugin);
                for (Bundle b : bundles) {
                    b.start(); // a missing import fails here, naming the package
                }
                assertEquals("io.ironbell.action.container", plugin.getSymbolicName());
                for (Bundle b : bundles) {
                    assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is active");
                }

                Map<String, String> wires = new TreeMap<>();
                for (BundleWire w : plugin.adapt(BundleWiring.class).getRequiredWires("osgi.wiring.package")) {
                    wires.put(String.valueOf(w.getCapability().getAttributes().get("osgi.wiring.package")), w.getProvider().getSymbolicName());
                }
                assertEquals("io.ironbell.api", wires.get("io.ironbell.api.action"), wires.toString());
                assertEquals("org.apache.felix.framework", wires.get("org.slf4j"), wires.toString());
                assertTrue(wires.keySet().stream().noneMatch(p -> p.startsWith("com.fasterxml")), "Jackson is the bundle's own copy: " + wires);

                ServiceReference<?>[] refs = Await.until("the container ActionPlugin service", Duration.ofSeconds(10),
                        () -> references(context)).value();
                assertEquals(1, refs.length);
                assertEquals(plugin, refs[0].getBundle());
                assertNull(refs[0].getProperty(ActionPlugin.IMAGES), "no image prefixes: the worker routes unclaimed images to it");

                Object service = context.getService(refs[0]);
                assertEquals(plugin, FrameworkUtil.getBundle(service.getClass()));
                assertEquals(plugin, FrameworkUtil.getBundle(plugin.loadClass("com.github.dockerjava.core.DockerClientImpl")), "docker-java is inside");

                TestActionContext ctx = new TestActionContext(IMAGE, Map.of("DOCKER_HOST", engine.host, "GREETING", "hello from Felix"));
                ctx.command = List.of("/bin/sh", "-c", "echo \"$GREETING\"");
                Object result = execute(plugin, service, ctx);
                String message = (String) result.getClass().getMethod("message").invoke(result);
                assertTrue(message.startsWith("container " + IMAGE + " exited 0 after"), message);
                assertEquals(List.of("hello from Felix"), ctx.lines);
                assertEquals(List.of(), engine.containers());
            } finally {
                felix.stop();
                felix.waitForStop(10_000);
            }
        }
    }

    /** All of them: to the system bundle, which sees the test's copy of the API, the service's class is another. */
    private static ServiceReference<?>[] references(BundleContext context) {
        try {
            return context.getAllServiceReferences(ActionPlugin.class.getName(), "(" + ActionPlugin.TYPE + "=container)");
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Calls the service's execute with the test's context behind a proxy of the API bundle's own
     * ActionContext type: the test's copy of the API is another class to Felix.
     */
    private static Object execute(Bundle plugin, Object service, TestActionContext ctx) throws Exception {
        Class<?> contextType = plugin.loadClass("io.ironbell.api.action.ActionContext");
        assertNotEquals(io.ironbell.api.action.ActionContext.class, contextType);
        Object proxy = Proxy.newProxyInstance(contextType.getClassLoader(), new Class<?>[] {contextType}, (self, m, args) -> {
            if (m.isDefault()) {
                return InvocationHandler.invokeDefault(self, m, args);
            }
            Method target = Arrays.stream(TestActionContext.class.getMethods())
                    .filter(t -> t.getName().equals(m.getName()) && t.getParameterCount() == m.getParameterCount()).findFirst().orElseThrow();
            try {
                return target.invoke(ctx, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        try {
            return service.getClass().getMethod("execute", contextType).invoke(service, proxy);
        } catch (InvocationTargetException e) {
            throw new AssertionError("execute failed in Felix: " + e.getCause(), e.getCause());
        }
    }
}
