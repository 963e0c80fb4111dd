package io.ironbell.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static HttpRoute route(String answer) {
        return r -> HttpResponse.text(200, answer);
    }

    @Test
    void literalSegmentsWinOverParameters() {
        HttpRoute byId = route("id");
        HttpRoute byMac = route("mac");
        RouteTable t = RouteTable.EMPTY
                .with(byId, 1, new String[] {"/api/v1/hardware/{id}"}, new String[] {"GET", "DELETE"}, false)
                .with(byMac, 2, new String[] {"/api/v1/hardware/mac/{mac}"}, new String[] {"GET"}, false);
        RouteTable.Found f = assertInstanceOf(RouteTable.Found.class, t.match("GET", "/api/v1/hardware/mac/aa"));
        assertSame(byMac, f.entry().route());
        assertEquals(Map.of("mac", "aa"), f.params());
        f = assertInstanceOf(RouteTable.Found.class, t.match("DELETE", "/api/v1/hardware/42"));
        assertSame(byId, f.entry().route());
        assertEquals(Map.of("id", "42"), f.params());
    }

    @Test
    void wildcardCapturesTheRest() {
        RouteTable t = RouteTable.EMPTY.with(route("files"), 1, new String[] {"/artifacts/*"}, new String[] {"GET"}, true);
        RouteTable.Found f = assertInstanceOf(RouteTable.Found.class, t.match("GET", "/artifacts/os/debian/vmlinuz"));
        assertEquals("os/debian/vmlinuz", f.params().get(PathPattern.REST));
        assertEquals(true, f.entry().inline());
        assertInstanceOf(RouteTable.Found.class, t.match("HEAD", "/artifacts/x"));
    }

    @Test
    void wrongMethodListsAllowedOnes() {
        RouteTable t = RouteTable.EMPTY.with(route("x"), 1, new String[] {"/x"}, new String[] {"POST"}, false);
        RouteTable.WrongMethod w = assertInstanceOf(RouteTable.WrongMethod.class, t.match("GET", "/x"));
        assertEquals(Set.of("POST"), w.allowed());
        assertInstanceOf(RouteTable.NotFound.class, t.match("GET", "/y"));
    }

    @Test
    void removingAServiceRemovesAllItsPatterns() {
        RouteTable t = RouteTable.EMPTY
                .with(route("a"), 7, new String[] {"/a", "/b"}, new String[] {"GET"}, false)
                .with(route("c"), 8, new String[] {"/c"}, new String[] {"GET"}, false);
        assertEquals(3, t.size());
        RouteTable u = t.without(7);
        assertEquals(1, u.size());
        assertInstanceOf(RouteTable.NotFound.class, u.match("GET", "/a"));
        assertInstanceOf(RouteTable.Found.class, u.match("GET", "/c"));
    }

    @Test
    void malformedPatternsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PathPattern.parse("no-slash"));
        assertThrows(IllegalArgumentException.class, () -> PathPattern.parse("/a/*/b"));
        assertThrows(IllegalArgumentException.class, () -> PathPattern.parse("/a/x{y}"));
    }

    @Test
    void byteRanges() {
        assertEquals(null, ByteRange.parse(null, 100));
        assertEquals(null, ByteRange.parse("bytes=0-1,5-6", 100));
        assertEquals("[10, 99]", java.util.Arrays.toString(ByteRange.parse("bytes=10-", 100)));
        assertEquals("[10, 19]", java.util.Arrays.toString(ByteRange.parse("bytes=10-19", 100)));
        assertEquals("[90, 99]", java.util.Arrays.toString(ByteRange.parse("bytes=-10", 100)));
        assertEquals("[0, 99]", java.util.Arrays.toString(ByteRange.parse("bytes=-1000", 100)));
        assertEquals("[50, 99]", java.util.Arrays.toString(ByteRange.parse("bytes=50-5000", 100)));
        assertSame(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=100-", 100));
        assertEquals(null, ByteRange.parse("bytes=20-10", 100));
        assertEquals(null, ByteRange.parse("bytes=x-y", 100));
    }

    @Test
    void prometheusFormat() {
        PrometheusWriter w = new PrometheusWriter();
        w.counter("ironbell_x_total", "things", 3, "kind", "a\"b");
        w.counter("ironbell_x_total", "ignored help", 4.5, "kind", "c");
        w.gauge("bad name", "x", 1);
        w.gauge("ironbell_y", "line\nbreak", 1);
        assertEquals("""
                # HELP ironbell_x_total things
                # TYPE ironbell_x_total counter
                ironbell_x_total{kind="a\\"b"} 3
                ironbell_x_total{kind="c"} 4.5
                # HELP ironbell_y line\\nbreak
                # TYPE ironbell_y gauge
                ironbell_y 1
                """, w.render());
        assertEquals(java.util.List.of("bad name"), w.rejected());
    }
}
