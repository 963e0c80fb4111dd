package io.ironbell.http.internal;

import io.ironbell.api.http.HttpRequest;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A route's view of a request; the body is copied out so the Netty buffer can be released at once. */
final class NettyHttpRequest implements HttpRequest {

    private final String method;
    private final String path;
    private final Map<String, String> pathParams;
    private final Map<String, List<String>> query;
    private final HttpHeaders headers;
    private final byte[] body;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final boolean secure;

    NettyHttpRequest(FullHttpRequest request, String path, Map<String, List<String>> query,
                     Map<String, String> pathParams, InetSocketAddress remote, InetSocketAddress local, boolean secure) {
        this.method = request.method().name();
        this.path = path;
        this.pathParams = Map.copyOf(pathParams);
        this.query = query;
        this.headers = request.headers().copy();
        this.body = request.content().isReadable() ? ByteBufUtil.getBytes(request.content()) : new byte[0];
        this.remote = remote;
        this.local = local;
        this.secure = secure;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Map<String, String> pathParams() {
        return pathParams;
    }

    @Override
    public Map<String, List<String>> queryParams() {
        return query;
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }

    @Override
    public List<String> headers(String name) {
        return headers.getAll(name);
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public boolean secure() {
        return secure;
    }
}
