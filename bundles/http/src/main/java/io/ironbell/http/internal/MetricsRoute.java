package io.ironbell.http.internal;

import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.metrics.MetricSet;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /metrics}: every registered {@link MetricSet}, in Prometheus' text format. */
@Component(service = HttpRoute.class)
@HttpRouteService(path = "/metrics", plain = true)
public final class MetricsRoute implements HttpRoute {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsRoute.class);

    private final List<MetricSet> sets = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSet(MetricSet set) {
        sets.add(set);
    }

    void removeSet(MetricSet set) {
        sets.remove(set);
    }

    @Override
    public HttpResponse handle(HttpRequest request) {
        PrometheusWriter w = new PrometheusWriter();
        for (MetricSet s : sets) {
            try {
                s.collect(w);
            } catch (RuntimeException e) {
                LOG.warn("metric set {} failed", s.getClass().getName(), e);
            }
        }
        if (!w.rejected().isEmpty()) {
            LOG.warn("malformed metrics dropped: {}", w.rejected());
        }
        return HttpResponse.of(200, PrometheusWriter.CONTENT_TYPE, w.render().getBytes(StandardCharsets.UTF_8));
    }
}
