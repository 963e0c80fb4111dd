package io.ironbell.http.internal;

import io.ironbell.api.cluster.Cluster;
import io.ironbell.api.cluster.ServerInstance;
import io.ironbell.api.health.ReadinessCheck;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * {@code GET /readyz}: 200 when every bundle is active, every Ironbell component that is
 * enabled is active (or satisfied and waiting to be used) and every {@link ReadinessCheck} is
 * ready; otherwise 503
 * with each problem named. Either way it lists the installed bundles ({@code "bsn version"}), so
 * an operator sees what an edition runs, and, with the store, which instance answered and the
 * instances it sees on the database. A component that waits for configuration it was never given is not
 * counted: it is switched off, not broken.
 */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/readyz", plain = true)
public final class ReadinessRoute implements HttpRoute {

    private static final String OWN_BUNDLES = "io.ironbell.";

    private final ServiceComponentRuntime scr;
    private final BundleContext context;
    private final Map<ReadinessCheck, String> checks = new ConcurrentHashMap<>();

    @Activate
    public ReadinessRoute(@Reference ServiceComponentRuntime scr, BundleContext context) {
        this.scr = scr;
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCheck(ReadinessCheck check, Map<String, Object> props) {
        Object name = props.getOrDefault(ReadinessCheck.NAME, props.get("component.name"));
        checks.put(check, name == null ? check.getClass().getName() : name.toString());
    }

    void removeCheck(ReadinessCheck check) {
        checks.remove(check);
    }

    /** The instances on the database, when the store runs. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Cluster cluster;

    @Override
    public HttpResponse handle(HttpRequest request) {
        List<Map<String, String>> problems = new ArrayList<>();
        List<String> bundles = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() != 0) {
                bundles.add(b.getSymbolicName() + " " + b.getVersion());
            }
            boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
            if (b.getState() != Bundle.ACTIVE && !(fragment && b.getState() == Bundle.RESOLVED)
                    && b.getState() != Bundle.STARTING && b.getState() != Bundle.STOPPING) {
                problems.add(problem("bundle", b.getSymbolicName() + " " + b.getVersion(),
                        b.getState() == Bundle.INSTALLED ? "not resolved: a package it imports is missing" : "not started"));
            }
        }
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.bundle.symbolicName == null || !d.bundle.symbolicName.startsWith(OWN_BUNDLES)
                    || !scr.isComponentEnabled(d)) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                String problem = switch (c.state) {
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "waiting for " + missing(c.unsatisfiedReferences);
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> "failed to activate: " + firstLine(c.failure);
                    default -> null;
                };
                if (problem != null) {
                    problems.add(problem("component", d.name, problem));
                }
            }
        }
        checks.forEach((check, name) -> {
            ReadinessCheck.Readiness r;
            try {
                r = check.check();
            } catch (RuntimeException e) {
                r = ReadinessCheck.Readiness.down("check failed: " + e);
            }
            if (!r.ready()) {
                problems.add(problem("check", name, r.reason()));
            }
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", problems.isEmpty() ? "ready" : "not ready");
        body.put("problems", problems);
        Cluster c = cluster;
        if (c != null) {
            // which instance answered, and what it sees of the others (as of its last heartbeat)
            Map<String, Object> self = new LinkedHashMap<>();
            self.put("id", c.self());
            self.put("leader", c.leads());
            List<Map<String, Object>> all = new ArrayList<>();
            for (ServerInstance i : c.instances()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("id", i.id());
                one.put("host", i.host());
                one.put("alive", i.alive());
                one.put("leader", i.leader());
                one.put("heartbeatAt", i.heartbeatAt().toString());
                all.add(one);
            }
            self.put("instances", all);
            body.put("instance", self);
        }
        bundles.sort(null);
        body.put("bundles", bundles);
        return HttpResponse.json(problems.isEmpty() ? 200 : 503, body);
    }

    private static Map<String, String> problem(String kind, String name, String reason) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(kind, name);
        m.put("reason", reason);
        return m;
    }

    private static String missing(UnsatisfiedReferenceDTO[] refs) {
        List<String> names = new ArrayList<>();
        for (UnsatisfiedReferenceDTO r : refs) {
            names.add(r.name + " (" + r.target + ")");
        }
        return String.join(", ", names);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown failure";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).trim();
    }
}
