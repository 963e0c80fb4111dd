package io.ironbell.api.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** A request as a route sees it: the whole body has been read, within the server's size limit. */
@ProviderType
public interface HttpRequest {

    /** The method, upper case. */
    String method();

    /** The decoded path, without the query string. */
    String path();

    /** The path parameters that the route's pattern captured ({@code {id}} → {@code id}). */
    Map<String, String> pathParams();

    /** Returns a path parameter, or fails with 404 naming it. */
    default String pathParam(String name) throws HttpException {
        String v = pathParams().get(name);
        if (v == null) {
            throw HttpException.notFound("path parameter " + name + " is missing");
        }
        return v;
    }

    /** The query parameters, each with its values in order. */
    Map<String, List<String>> queryParams();

    /** Returns the first value of a query parameter. */
    default Optional<String> query(String name) {
        List<String> v = queryParams().get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    /** Returns a header's first value (names are case-insensitive). */
    Optional<String> header(String name);

    /** Returns every value of a header, in the order the lines came (names are case-insensitive). */
    default List<String> headers(String name) {
        return header(name).map(List::of).orElse(List.of());
    }

    /** The body's bytes (empty when there is none). */
    byte[] body();

    /** The body as UTF-8 text. */
    default String bodyText() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** The peer's address: the machine or client that sent the request (before any proxy). */
    InetSocketAddress remoteAddress();

    /** The server address the request arrived at. */
    InetSocketAddress localAddress();

    /** Whether the request came over TLS (the HTTPS listener). */
    default boolean secure() {
        return false;
    }
}
