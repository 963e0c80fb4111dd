package io.ironbell.api.http;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A route of Ironbell's one HTTP server: register it as an OSGi service and it is served
 * at once; unregister it (or stop its bundle) and it is not.
 *
 * <p>Service properties (set them with {@link HttpRouteService @HttpRouteService}):
 * <ul>
 * <li>{@value #PATH} (String or String[], required): path patterns. A segment
 * {@code {name}} matches one path segment and is available as
 * {@link HttpRequest#pathParam(String)}; a final {@code *} matches the rest of the path
 * (available as path parameter {@code *}). Literal segments win over parameters, longer
 * patterns over shorter ones.</li>
 * <li>{@value #METHODS} (String[], default {@code GET}): the methods served. {@code HEAD} is
 * served wherever {@code GET} is. A path that matches with another method gets 405.</li>
 * <li>{@value #INLINE} (Boolean, default false): run the route on the network thread. Only
 * for routes that answer from memory and never block (iPXE scripts, metadata); others run on
 * the server's bounded worker pool.</li>
 * <li>{@value #PLAIN} (Boolean, default false): serve the route on the plain-HTTP listener too.
 * Only for what firmware and cloud-init must fetch without TLS (iPXE scripts, boot artifacts,
 * the EC2 metadata service) and health checks; every other route is served over HTTPS only
 * while TLS is on, and a plain-HTTP request for it gets 403 naming the HTTPS URL.</li>
 * </ul>
 */
@ConsumerType
public interface HttpRoute {

    /** Service property: path pattern(s). */
    String PATH = "ironbell.http.path";

    /** Service property: HTTP methods. */
    String METHODS = "ironbell.http.methods";

    /** Service property: run on the network thread. */
    String INLINE = "ironbell.http.inline";

    /** Service property: also served over plain HTTP. */
    String PLAIN = "ironbell.http.plain";

    /**
     * Answers a request.
     *
     * @return the response; never {@code null}
     * @throws HttpException for a request the route refuses; it becomes a JSON error with its
     *                       status, code and message
     */
    HttpResponse handle(HttpRequest request) throws HttpException;
}
