package io.ironbell.http.internal;

import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
// registered by hand once the ports are bound, so bnd cannot see it: declared for resolvers (ironbell assemble)
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.ironbell.api.http.HttpEndpoint\"",
        uses = io.ironbell.api.http.HttpEndpoint.class)
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

        @AttributeDefinition(description = "serve HTTPS on tlsPort; the plain port then serves only routes marked plain "
                + "(iPXE scripts, boot artifacts, EC2 metadata, health)")
        boolean tls() default true;

        @AttributeDefinition(description = "TCP port of the HTTPS listener")
        int tlsPort() default 8443;

        @AttributeDefinition(description = "PEM file: the server's certificate, then its issuers; empty: a CA and certificate "
                + "made in data/tls")
        String tlsCertificate() default "";

        @AttributeDefinition(description = "PEM file: the certificate's unencrypted PKCS#8 private key")
        String tlsKey() default "";

        @AttributeDefinition(description = "more DNS names or addresses for the generated certificate, comma-separated")
        String tlsNames() default "";

        @AttributeDefinition(description = "seconds between checks whether the certificate files changed")
        int tlsCheckSeconds() default 10;
    }

    private volatile RouteTable routes = RouteTable.EMPTY;
    private final HttpMetrics metrics = new HttpMetrics();
    private final EventLoopGroup boss;
    private final EventLoopGroup ioGroup;
    private final ThreadPoolExecutor workers;
    private final Channel channel;
    private final Channel secureChannel;
    private final TlsContext tls;
    private final ConnectionGuard guard;
    private ServiceRegistration<MetricSet> metricsRegistration;
    private ServiceRegistration<HttpEndpoint> endpointRegistration;

    /** Starts a server that is not registered as a metric set (tests); a generated certificate goes to {@code tlsDir}. */
    HttpServer(Config config, Path tlsDir) {
        this(config, null, tlsDir);
    }

    @Activate
    public HttpServer(Config config, BundleContext context) {
        this(config, context, tlsDir(context));
    }

    private HttpServer(Config config, BundleContext context, Path tlsDir) {
        validate(config);
        tls = config.tls() ? tlsContext(config, tlsDir) : null;
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ironbell-http-accept", true), NioIoHandler.newFactory());
        ioGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("ironbell-http-io", true), NioIoHandler.newFactory());
        workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.workerQueue()), new DefaultThreadFactory("ironbell-http-worker", true));
        workers.allowCoreThreadTimeOut(true);
        guard = new ConnectionGuard(config.maxConnections(), config.maxConnectionsPerAddress(), config.requestTimeoutSeconds(),
                config.maxBufferedRequestBytes(), config.maxRequestBytes());
        Channel plain = null;
        Channel secure = null;
        String at = config.address() + ":" + config.port();
        try {
            if (tls != null) {
                at = config.address() + ":" + config.tlsPort();
                secure = listen(config, config.tlsPort(), new RequestHandler(() -> routes, workers, metrics, true, -1), true);
                int every = config.tlsCheckSeconds();
                boss.scheduleAtFixedRate(tls::reloadIfChanged, every, every, TimeUnit.SECONDS);
            }
            at = config.address() + ":" + config.port();
            int httpsPort = secure == null ? -1 : ((InetSocketAddress) secure.localAddress()).getPort();
            plain = listen(config, config.port(), new RequestHandler(() -> routes, workers, metrics, false, httpsPort), false);
        } catch (RuntimeException e) {
            if (secure != null) {
                secure.close().syncUninterruptibly();
            }
            shutdown();
            throw new IllegalStateException("cannot listen on " + at + ": " + e.getMessage(), e);
        }
        channel = plain;
        secureChannel = secure;
        // Registered by hand, after the bind: as a DS service it would close a cycle
        // (server -> metrics route -> metric sets -> server) while the server activates.
        if (context != null) {
            metricsRegistration = context.registerService(MetricSet.class, this, null);
            endpointRegistration = context.registerService(HttpEndpoint.class, new Endpoint(port(), securePort(), tls), null);
        }
        LOG.info("started: HTTP on {}{}", channel.localAddress(), secureChannel == null ? " (TLS off: every route over plain HTTP)"
                : ", HTTPS on " + secureChannel.localAddress());
    }

    /** What plugins learn of the listeners. */
    private record Endpoint(int port, int securePort, TlsContext tls) implements HttpEndpoint {
        @Override
        public Optional<String> trustAnchor() {
            return tls == null ? Optional.empty() : Optional.of(tls.anchor());
        }
    }

    private Channel listen(Config config, int port, RequestHandler handler, boolean secure) {
        int maxBody = config.maxRequestBytes();
        int idle = config.idleTimeoutSeconds();
        InetSocketAddress address = new InetSocketAddress(config.address(), port);
        ChannelFuture bound = new ServerBootstrap()
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
                        if (secure) {
                            SslHandler ssl = tls.current().newHandler(ch.alloc());
                            ssl.setHandshakeTimeout(config.requestTimeoutSeconds(), TimeUnit.SECONDS);
                            ssl.handshakeFuture().addListener(f -> {
                                if (!f.isSuccess()) {
                                    metrics.countHandshakeFailed();
                                }
                            });
                            p.addLast(ssl);
                        }
                        p.addLast(new IdleStateHandler(0, 0, idle, TimeUnit.SECONDS));
                        p.addLast(guard.deadlineStart());
                        p.addLast(new HttpServerCodec(4096, 16 << 10, 16 << 10));
                        p.addLast(guard.bodyGate());
                        p.addLast(new JsonRejectingAggregator(maxBody));
                        p.addLast(handler);
                    }
                })
                .bind(address)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            // Netty's BindException does not say which address; an operator needs to know which setting to change
            throw new IllegalStateException("HTTP: cannot listen on " + address + ": " + bound.cause().getMessage(), bound.cause());
        }
        return bound.channel();
    }

    /** Where a generated certificate lives: the distribution's data/tls, else this bundle's data area. */
    private static Path tlsDir(BundleContext context) {
        String home = context.getProperty("ironbell.home");
        return home != null ? Path.of(home, "data", "tls") : context.getDataFile("tls").toPath();
    }

    private static TlsContext tlsContext(Config config, Path dir) {
        try {
            if (!config.tlsCertificate().isBlank()) {
                return new TlsContext(Path.of(config.tlsCertificate().trim()), Path.of(config.tlsKey().trim()));
            }
            ServerCertificates.ensure(dir, ServerCertificates.localNames(List.of(config.tlsNames().split(","))));
            return new TlsContext(dir.resolve(ServerCertificates.CHAIN), dir.resolve(ServerCertificates.KEY));
        } catch (IOException e) {
            throw new IllegalStateException("http.tls: " + e.getMessage(), e);
        }
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
        if (c.tls() && (c.tlsPort() < 0 || c.tlsPort() > 65535 || (c.tlsPort() == c.port() && c.port() != 0))) {
            throw new IllegalArgumentException("http.tlsPort must be between 0 and 65535 and differ from http.port, was " + c.tlsPort());
        }
        if (c.tls() && c.tlsCertificate().isBlank() != c.tlsKey().isBlank()) {
            throw new IllegalArgumentException("http.tlsCertificate and http.tlsKey go together: give both, or neither for a generated certificate");
        }
        if (c.tlsCheckSeconds() < 1) {
            throw new IllegalArgumentException("http.tlsCheckSeconds must be positive, was " + c.tlsCheckSeconds());
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
        if (secureChannel != null) {
            secureChannel.close().syncUninterruptibly();
        }
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

    /** The HTTPS port actually bound, or -1 when TLS is off. */
    int securePort() {
        return secureChannel == null ? -1 : ((InetSocketAddress) secureChannel.localAddress()).getPort();
    }

    /** The certificate the HTTPS listener serves, or null when TLS is off (tests). */
    TlsContext tls() {
        return tls;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addRoute(HttpRoute route, Map<String, Object> props) {
        long id = (Long) props.get(Constants.SERVICE_ID);
        try {
            routes = routes.with(route, id, strings(props.get(HttpRoute.PATH)),
                    props.containsKey(HttpRoute.METHODS) ? strings(props.get(HttpRoute.METHODS)) : new String[] {"GET"},
                    Boolean.parseBoolean(String.valueOf(props.get(HttpRoute.INLINE))),
                    Boolean.parseBoolean(String.valueOf(props.get(HttpRoute.PLAIN))));
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
