package io.ironbell.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.apache.felix.resolver.Logger;
import org.apache.felix.resolver.ResolverImpl;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.namespace.IdentityNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.resource.Capability;
import org.osgi.resource.Requirement;
import org.osgi.resource.Resource;
import org.osgi.resource.Wiring;
import org.osgi.service.resolver.HostedCapability;
import org.osgi.service.resolver.ResolutionException;
import org.osgi.service.resolver.ResolveContext;

/**
 * Proves that a set of bundles resolves before an edition is written: Felix itself reads each
 * jar (a framework initialised with the server's own system packages, never started, the bundles
 * installed and not started), and Felix's resolver ({@link ResolverImpl}) resolves them all
 * together against its system bundle, taking as mandatory not only the requirements the framework
 * enforces at resolve time but also those that hold when the bundles are active: the services
 * their components need ({@code osgi.service}, which bnd writes for every mandatory reference) and
 * the extenders they need (SCR). So an API without a store is refused, not shipped.
 */
final class EditionResolver {

    /** A set that does not resolve: what is missing, bundle by bundle. */
    static final class Unresolved extends Exception {
        private static final long serialVersionUID = 1L;
        private final List<String> missing;

        Unresolved(String message, List<String> missing) {
            super(message);
            this.missing = List.copyOf(missing);
        }

        /** One line per unmet requirement: the bundle and the requirement. */
        List<String> missing() {
            return missing;
        }
    }

    private EditionResolver() {
    }

    /**
     * Resolves the jars; returns each one's symbolic name and version.
     *
     * @throws Unresolved naming every unmet requirement and the bundle that has it
     */
    static Map<Path, String> resolve(List<Path> jars, Path scratch) throws Unresolved, IOException, BundleException {
        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, scratch.resolve("felix-cache").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, Container.systemPackagesExtra());
        Framework framework = new FrameworkFactory().newFramework(props);
        framework.init();
        try {
            Map<Path, String> names = new LinkedHashMap<>();
            List<Resource> resources = new ArrayList<>();
            for (Path jar : jars) {
                Bundle b;
                try {
                    b = framework.getBundleContext().installBundle(jar.toUri().toString());
                } catch (BundleException e) {
                    throw new Unresolved(jar.getFileName() + " is not a bundle that can be installed: " + e.getMessage(),
                            List.of(jar.getFileName() + ": " + e.getMessage()));
                }
                resources.add(b.adapt(BundleRevision.class));
                names.put(jar, b.getSymbolicName() + " " + b.getVersion());
            }
            BundleRevision system = framework.adapt(BundleRevision.class);
            Context context = new Context(system, resources);
            try {
                new ResolverImpl(new Logger(Logger.LOG_ERROR)).resolve(context);
            } catch (ResolutionException e) {
                // the resolver stops at the first requirement it cannot meet; the others that no bundle
                // of the set could meet at all are named too, so that one run says everything to add
                java.util.Set<String> missing = new java.util.LinkedHashSet<>();
                for (Requirement r : e.getUnresolvedRequirements()) {
                    missing.add(describe(r));
                }
                for (Resource res : resources) {
                    for (Requirement r : res.getRequirements(null)) {
                        String resolution = r.getDirectives().getOrDefault("resolution", "mandatory");
                        if (context.isEffective(r) && resolution.equals("mandatory")
                                && context.findProviders(r).isEmpty()) {
                            missing.add(describe(r));
                        }
                    }
                }
                throw new Unresolved("the bundles do not resolve: " + e.getMessage(), new ArrayList<>(missing));
            }
            return names;
        } finally {
            framework.stop();
            try {
                framework.waitForStop(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteTree(scratch.resolve("felix-cache"));
        }
    }

    private static String describe(Requirement r) {
        return name(r.getResource()) + " requires " + r.getNamespace() + " " + r.getDirectives().getOrDefault("filter", "")
                + ("active".equals(r.getDirectives().get("effective")) ? " (when active)" : "");
    }

    static String name(Resource r) {
        for (Capability c : r.getCapabilities(IdentityNamespace.IDENTITY_NAMESPACE)) {
            return c.getAttributes().get(IdentityNamespace.IDENTITY_NAMESPACE) + " " + c.getAttributes().get("version");
        }
        return String.valueOf(r);
    }

    /** The chosen bundles, all mandatory, against the system bundle; every requirement counts, resolve-time or active. */
    private static final class Context extends ResolveContext {
        private final BundleRevision system;
        private final List<Resource> resources;
        /** Every resource that may provide: the system bundle first, then the set. */
        private final List<Resource> providers = new ArrayList<>();

        Context(BundleRevision system, List<Resource> resources) {
            this.system = system;
            this.resources = resources;
            providers.add(system);
            providers.addAll(resources);
        }

        @Override
        public Collection<Resource> getMandatoryResources() {
            return resources;
        }

        @Override
        public List<Capability> findProviders(Requirement requirement) {
            Filter filter;
            try {
                String f = requirement.getDirectives().get("filter");
                filter = f == null ? null : FrameworkUtil.createFilter(f);
            } catch (InvalidSyntaxException e) {
                return List.of();
            }
            List<Capability> out = new ArrayList<>();
            for (Resource r : providers) {
                for (Capability c : r.getCapabilities(requirement.getNamespace())) {
                    if (filter == null || filter.matches(c.getAttributes())) {
                        out.add(c);
                    }
                }
            }
            return out;
        }

        @Override
        public int insertHostedCapability(List<Capability> capabilities, HostedCapability hosted) {
            capabilities.add(hosted);
            return capabilities.size() - 1;
        }

        @Override
        public boolean isEffective(Requirement requirement) {
            String effective = requirement.getDirectives().get("effective");
            return effective == null || effective.equals("resolve") || effective.equals("active");
        }

        @Override
        public Map<Resource, Wiring> getWirings() {
            return Map.of(system, system.getWiring());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
