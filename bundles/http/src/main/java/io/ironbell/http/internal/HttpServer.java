package io.ironbell.http.internal;

import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ironbell's one HTTP/1.1 server. Routes are {@link HttpRoute} services: one that registers
 * is served at once, one that leaves is not served from the next request on.
 */
@Component(configurationPid = HttpServer.PID, service = {})
@Designate(ocd = HttpServer.Config.class)
public final class HttpServer implements MetricSet {

    static final String PID = "io.ironbell.http";

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    @ObjectClassDefinition(name = "Ironbell HTTP server", description = "The one HTTP server of Ironbell (http.* keys)")
    public @interface Config {
        @AttributeDefinition(description = "TCP port")
        int port() default 8080;

        @AttributeDefinition(description = "address to listen on; 0.0.0.0 for every interface")
        String address() default "0.0.0.0";

        @AttributeDefinition(description = "largest request body accepted, in bytes")
        int maxRequestBytes() default 1 << 20;

        @AttributeDefinition(description = "seconds an idle connection is kept open")
        int idleTimeoutSeconds() default 60;

        @AttributeDefinition(description = "threads that run blocking routes")
        int workerThreads() default 32;

        @AttributeDefinition(description = "requests that may wait for a worker thread before 503")
        int workerQueue() default 1024;

        @AttributeDefinition(description = "connections open at once; more are closed on accept")
        int maxConnections() default 4096;

        @AttributeDefinition(description = "connections open at once from one client address")
        int maxConnectionsPerAddress() default 64;

        @AttributeDefinition(description = "seconds a request may take to arrive whole, head and body; then 408")
        int requestTimeoutSeconds() default 30;

        @AttributeDefinition(description = "bytes of request bodies held at once, over all connections; beyond, 503")
        long maxBufferedRequestBytes() default 64L << 20;
    }

    private volatile RouteTable routes = RouteTable.EMPTY;
    private final HttpMetrics metrics = new HttpMetrics();
    private final EventLoopGroup boss;
    private final EventLoopGroup ioGroup;
    private final ThreadPoolExecutor workers;
    private final Channel channel;
    private final ConnectionGuard guard;
    private ServiceRegistration<MetricSet> metricsRegistration;
    private ServiceRegistration<HttpEndpoint> endpointRegistration;

    /** Starts a server that is not registered as a metric set (tests). */
    HttpServer(Config config) {
        this(config, null);
    }

    @Activate
    public HttpServer(Config config, BundleContext context) {
        validate(config);
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ironbell-http-accept", true), NioIoHandler.newFactory());
        ioGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("ironbell-http-io", true), NioIoHandler.newFactory());
        workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.workerQueue()), new DefaultThreadFactory("ironbell-http-worker", true));
        workers.allowCoreThreadTimeOut(true);
        RequestHandler handler = new RequestHandler(() -> routes, workers, metrics);
        int maxBody = config.maxRequestBytes();
        int idle = config.idleTimeoutSeconds();
        guard = new ConnectionGuard(config.maxConnections(), config.maxConnectionsPerAddress(), config.requestTimeoutSeconds(),
                config.maxBufferedRequestBytes(), maxBody);
        try {
            channel = new ServerBootstrap()
                    .group(boss, ioGroup)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ChannelPipeline p = ch.pipeline();
                            p.addLast(guard.limiter());
                            p.addLast(new IdleStateHandler(0, 0, idle, TimeUnit.SECONDS));
                            p.addLast(guard.deadlineStart());
                            p.addLast(new HttpServerCodec(4096, 16 << 10, 16 << 10));
                            p.addLast(guard.bodyGate());
                            p.addLast(new JsonRejectingAggregator(maxBody));
                            p.addLast(handler);
                        }
                    })
                    .bind(new InetSocketAddress(config.address(), config.port()))
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            shutdown();
            throw new IllegalStateException("cannot listen on " + config.address() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        // Registered by hand, after the bind: as a DS service it would close a cycle
        // (server -> metrics route -> metric sets -> server) while the server activates.
        if (context != null) {
            metricsRegistration = context.registerService(MetricSet.class, this, null);
            int bound = port();
            endpointRegistration = context.registerService(HttpEndpoint.class, () -> bound, null);
        }
        LOG.info("started: HTTP on {}", channel.localAddress());
    }

    private static void validate(Config c) {
        if (c.port() < 0 || c.port() > 65535) {
            throw new IllegalArgumentException("http.port must be between 0 and 65535, was " + c.port());
        }
        if (c.maxRequestBytes() < 1024) {
            throw new IllegalArgumentException("http.maxRequestBytes must be at least 1024, was " + c.maxRequestBytes());
        }
        if (c.workerThreads() < 1 || c.workerQueue() < 1 || c.idleTimeoutSeconds() < 1) {
            throw new IllegalArgumentException("http.workerThreads, http.workerQueue and http.idleTimeoutSeconds must be positive");
        }
        if (c.maxConnections() < 1 || c.maxConnectionsPerAddress() < 1 || c.requestTimeoutSeconds() < 1) {
            throw new IllegalArgumentException("http.maxConnections, http.maxConnectionsPerAddress and http.requestTimeoutSeconds must be positive");
        }
        if (c.maxBufferedRequestBytes() < c.maxRequestBytes()) {
            throw new IllegalArgumentException("http.maxBufferedRequestBytes must be at least http.maxRequestBytes (" + c.maxRequestBytes()
                    + "), was " + c.maxBufferedRequestBytes());
        }
    }

    /** Closes the port before returning, so that a new instance can bind it at once. */
    @Deactivate
    void deactivate() {
        if (metricsRegistration != null) {
            metricsRegistration.unregister();
            endpointRegistration.unregister();
        }
        InetSocketAddress at = (InetSocketAddress) channel.localAddress();
        channel.close().syncUninterruptibly();
        shutdown();
        LOG.info("stopped: HTTP on {}", at);
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownNow();
        boss.terminationFuture().syncUninterruptibly();
        ioGroup.terminationFuture().syncUninterruptibly();
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addRoute(HttpRoute route, Map<String, Object> props) {
        long id = (Long) props.get(Constants.SERVICE_ID);
        try {
            routes = routes.with(route, id, strings(props.get(HttpRoute.PATH)),
                    props.containsKey(HttpRoute.METHODS) ? strings(props.get(HttpRoute.METHODS)) : new String[] {"GET"},
                    Boolean.parseBoolean(String.valueOf(props.get(HttpRoute.INLINE))));
            LOG.debug("route added: {} {}", props.get(HttpRoute.PATH), route.getClass().getName());
        } catch (IllegalArgumentException e) {
            LOG.error("route {} from service {} ignored: {}", props.get(HttpRoute.PATH), id, e.getMessage());
        }
    }

    synchronized void removeRoute(HttpRoute route, Map<String, Object> props) {
        routes = routes.without((Long) props.get(Constants.SERVICE_ID));
        LOG.debug("route removed: {}", props.get(HttpRoute.PATH));
    }

    private static String[] strings(Object value) {
        if (value instanceof String s) {
            return new String[] {s};
        }
        if (value instanceof String[] a && a.length > 0) {
            return a;
        }
        if (value instanceof java.util.Collection<?> c && !c.isEmpty()) {
            return c.stream().map(String::valueOf).toArray(String[]::new);
        }
        throw new IllegalArgumentException("service property " + HttpRoute.PATH + " must be a String or String[]");
    }

    /** Connections open now (tests). */
    int connectionsOpen() {
        return guard.connections();
    }

    /** Bytes of request bodies held now (tests). */
    long requestBytesHeld() {
        return guard.reservedBytes();
    }

    @Override
    public void collect(MetricWriter writer) {
        metrics.collect(writer);
        writer.gauge("ironbell_http_routes", "route patterns served", routes.size());
        writer.gauge("ironbell_http_worker_queue", "requests waiting for a worker thread", workers.getQueue().size());
        writer.gauge("ironbell_http_connections", "connections open", guard.connections());
        writer.gauge("ironbell_http_request_bytes_held", "bytes of request bodies held (budget: http.maxBufferedRequestBytes)",
                guard.reservedBytes());
        writer.counter("ironbell_http_connections_refused_total", "connections closed on accept: over http.maxConnections or "
                + "http.maxConnectionsPerAddress", guard.refusedConnections.sum());
        writer.counter("ironbell_http_request_timeouts_total", "requests that did not arrive whole in http.requestTimeoutSeconds",
                guard.timedOut.sum());
        writer.counter("ironbell_http_bodies_refused_total", "requests refused (503) because the body budget was spent",
                guard.refusedBodies.sum());
    }
}
