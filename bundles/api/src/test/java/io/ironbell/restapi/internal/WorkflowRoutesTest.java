package io.ironbell.restapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import io.ironbell.testing.MemoryHardwareLookup;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** The workflow routes' reading of a request, before the engine is asked. */
class WorkflowRoutesTest {

    static final String TOKEN = "s3cret-token-0123456789";

    private final List<Long> eventsAfter = new ArrayList<>();
    private final EventStreams streams = new EventStreams();
    private final WorkflowRoutes routes;

    WorkflowRoutesTest() throws Exception {
        // an engine that knows of no workflow, and notes where an event listing was asked to start
        WorkflowService engine = (WorkflowService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {WorkflowService.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "events" -> {
                        eventsAfter.add((Long) args[1]);
                        yield List.of();
                    }
                    case "get" -> throw new WorkflowException(WorkflowException.Reason.NOT_FOUND, "no workflow " + args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Auth auth = new Auth(Converters.standardConverter().convert(Map.of("token", TOKEN)).to(Auth.Config.class), null,
                new MemoryHardwareLookup());
        routes = new WorkflowRoutes(auth, new Audit(), engine, streams);
    }

    @AfterEach
    void stop() {
        streams.deactivate();
    }

    @Test
    void aLastEventIdThatIsNotANumberIs400NamingTheHeader() {
        for (String bad : List.of("abc", "12x", "1.5", "99999999999999999999", "x".repeat(300))) {
            HttpException e = assertThrows(HttpException.class, () -> routes.handle(stream(bad, null)), bad);
            assertEquals(400, e.status(), bad);
            assertEquals("invalid_header", e.code());
            assertEquals("header Last-Event-ID must be the whole number of an event's id, was '"
                    + (bad.length() > 40 ? bad.substring(0, 40) + "..." : bad) + "'", e.getMessage());
        }
        assertEquals(List.of(), eventsAfter, "the engine was not asked");
    }

    @Test
    void aGoodLastEventIdIsWhereTheStreamResumesAndAfterWins() throws Exception {
        // the engine knows no such workflow: 404, after the events were asked for from the right place
        assertEquals(404, assertThrows(HttpException.class, () -> routes.handle(stream(" 7 ", null))).status());
        assertEquals(404, assertThrows(HttpException.class, () -> routes.handle(stream(null, null))).status());
        assertEquals(404, assertThrows(HttpException.class, () -> routes.handle(stream("7", "3"))).status());
        assertEquals(List.of(7L, 0L, 3L), eventsAfter);
    }

    private static HttpRequest stream(String lastEventId, String after) {
        return new HttpRequest() {
            @Override
            public String method() {
                return "GET";
            }

            @Override
            public String path() {
                return "/api/v1/workflows/wf-1/events/stream";
            }

            @Override
            public Map<String, String> pathParams() {
                return Map.of("id", "wf-1");
            }

            @Override
            public Map<String, List<String>> queryParams() {
                return after == null ? Map.of() : Map.of("after", List.of(after));
            }

            @Override
            public Optional<String> header(String name) {
                return switch (name.toLowerCase(java.util.Locale.ROOT)) {
                    case "authorization" -> Optional.of("Bearer " + TOKEN);
                    case "last-event-id" -> Optional.ofNullable(lastEventId);
                    default -> Optional.empty();
                };
            }

            @Override
            public byte[] body() {
                return new byte[0];
            }

            @Override
            public InetSocketAddress remoteAddress() {
                return new InetSocketAddress("127.0.0.1", 40000);
            }

            @Override
            public InetSocketAddress localAddress() {
                return new InetSocketAddress("127.0.0.1", 8080);
            }
        };
    }
}
