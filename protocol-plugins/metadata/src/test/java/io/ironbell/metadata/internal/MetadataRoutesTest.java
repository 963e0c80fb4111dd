package io.ironbell.metadata.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.json.Json;
import io.ironbell.testing.MemoryHardwareLookup;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** The metadata routes with Tinkerbell's sample record (10.250.0.10) in memory, on a clock the test moves. */
class MetadataRoutesTest {

    static final String MACHINE = "10.250.0.10";

    private long now = 7_000_000_000L;
    private final MemoryHardwareLookup hardware;

    MetadataRoutesTest() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/tink-hardware.json")) {
            hardware = new MemoryHardwareLookup(Json.mapper().readValue(in, Hardware.class));
        }
    }

    private MetadataRoutes routes(Map<String, Object> settings) {
        return new MetadataRoutes(Converters.standardConverter().convert(new HashMap<>(settings)).to(MetadataRoutes.Config.class),
                hardware, () -> now);
    }

    /** The response, or the HttpException's status as a response without a body. */
    private static HttpResponse answer(MetadataRoutes routes, HttpRequest r) {
        try {
            return routes.handle(r);
        } catch (HttpException e) {
            return HttpResponse.text(e.status(), e.getMessage());
        }
    }

    @Test
    void aCallerBeyondItsRateGets429WithRetryAfterAndOthersAreNotHeldBack() {
        MetadataRoutes routes = routes(Map.of("ratePerAddress", 2, "burstPerAddress", 5));
        for (int i = 0; i < 5; i++) {
            assertEquals(200, answer(routes, get(MACHINE, "/latest/meta-data/hostname")).status(), "within the burst: " + i);
        }
        HttpResponse refused = answer(routes, get(MACHINE, "/latest/meta-data/hostname"));
        assertEquals(429, refused.status());
        assertEquals("1", refused.headers().get("Retry-After"));
        assertEquals("{\"code\":\"too_many_requests\",\"message\":\"more than 2 metadata requests a second from 10.250.0.10; try again in 1 s\"}",
                new String(refused.bytes(), StandardCharsets.UTF_8));
        assertEquals(429, answer(routes, put(MACHINE, "/latest/api/token")).status(), "token requests count too");

        assertEquals(404, answer(routes, get("10.250.0.99", "/latest/meta-data/hostname")).status(), "another caller has its own allowance");

        now += 500_000_000L; // 2 a second: one more after half a second
        assertEquals(200, answer(routes, get(MACHINE, "/latest/meta-data/hostname")).status());
        assertEquals(429, answer(routes, get(MACHINE, "/latest/meta-data/hostname")).status());
    }

    @Test
    void behindATrustedProxyEachMachineHasItsOwnRate() {
        MetadataRoutes routes = routes(Map.of("ratePerAddress", 1, "burstPerAddress", 3, "trustedProxies", "192.0.2.0/24"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, answer(routes, get("192.0.2.1", "/latest/meta-data/hostname", "X-Forwarded-For", MACHINE)).status());
        }
        assertEquals(429, answer(routes, get("192.0.2.1", "/latest/meta-data/hostname", "X-Forwarded-For", MACHINE)).status());
        assertEquals(404, answer(routes, get("192.0.2.1", "/latest/meta-data/hostname", "X-Forwarded-For", "10.250.0.77")).status(),
                "the proxy's other callers are not held back");
    }

    @Test
    void cloudInitsCrawlAtBootIsFarBelowTheDefaults() {
        MetadataRoutes routes = routes(Map.of());
        // a crawl of both versions' trees is about a hundred requests at once; five of them in a row
        for (int i = 0; i < MetadataRoutes.DEFAULT_BURST; i++) {
            assertEquals(200, answer(routes, get(MACHINE, "/latest/meta-data/")).status(), "request " + i);
        }
        assertEquals(429, answer(routes, get(MACHINE, "/latest/meta-data/")).status());
        assertEquals(true, routes.check().ready());
    }

    @Test
    void aBadRateSettingKeepsTheDefaultAndSaysSoOnReadyz() {
        MetadataRoutes routes = routes(Map.of("ratePerAddress", -1));
        assertEquals("metadata.ratePerAddress must be 0 (no limit) or more and metadata.burstPerAddress 1 or more, were -1 and 500",
                routes.check().reason());
        MetadataRoutes off = routes(Map.of("ratePerAddress", 0));
        for (int i = 0; i < 2000; i++) {
            assertEquals(200, answer(off, get(MACHINE, "/latest/meta-data/hostname")).status());
        }
    }

    private static HttpRequest get(String from, String path, String... headers) {
        return request("GET", from, path, headers);
    }

    private static HttpRequest put(String from, String path) {
        return request("PUT", from, path, MetadataRoutes.TOKEN_TTL, "60");
    }

    private static HttpRequest request(String method, String from, String path, String... headers) {
        Map<String, String> h = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i].toLowerCase(java.util.Locale.ROOT), headers[i + 1]);
        }
        String rest = path.replaceFirst("^/[^/]+/?", "");
        return new HttpRequest() {
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
                return path.equals("/metadata") ? Map.of() : Map.of("*", rest);
            }

            @Override
            public Map<String, List<String>> queryParams() {
                return Map.of();
            }

            @Override
            public Optional<String> header(String name) {
                return Optional.ofNullable(h.get(name.toLowerCase(java.util.Locale.ROOT)));
            }

            @Override
            public byte[] body() {
                return new byte[0];
            }

            @Override
            public InetSocketAddress remoteAddress() {
                return new InetSocketAddress(from, 40000);
            }

            @Override
            public InetSocketAddress localAddress() {
                return new InetSocketAddress("10.250.0.2", 8080);
            }
        };
    }
}
