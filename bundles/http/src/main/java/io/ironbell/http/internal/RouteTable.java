package io.ironbell.http.internal;

import io.ironbell.api.http.HttpRoute;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An immutable snapshot of the registered routes, most specific first. The server swaps in a
 * new snapshot whenever a route service comes or goes, so matching never takes a lock.
 */
final class RouteTable {

    static final RouteTable EMPTY = new RouteTable(List.of());

    /**
     * One registered pattern of one route service.
     *
     * @param pattern  its path pattern
     * @param methods  the methods it serves, upper case ({@code HEAD} added where {@code GET} is)
     * @param inline   whether it runs on the network thread
     * @param route    the service
     * @param id       the service id, to remove it again
     * @param plain    whether it is served on the plain-HTTP listener too
     */
    record Entry(PathPattern pattern, Set<String> methods, boolean inline, HttpRoute route, long id, boolean plain) {
    }

    /** The outcome of matching a request. */
    sealed interface Match permits Found, WrongMethod, NotFound {
    }

    /** A route serves the request. */
    record Found(Entry entry, Map<String, String> params) implements Match {
    }

    /** Routes match the path, but none serves the method. */
    record WrongMethod(Set<String> allowed) implements Match {
    }

    /** No route matches the path. */
    record NotFound() implements Match {
    }

    private static final NotFound NOT_FOUND = new NotFound();

    private final List<Entry> entries;

    private RouteTable(List<Entry> entries) {
        this.entries = entries;
    }

    /** Returns a table with the service's patterns added. */
    RouteTable with(HttpRoute route, long id, String[] paths, String[] methods, boolean inline) {
        return with(route, id, paths, methods, inline, false);
    }

    /** Returns a table with the service's patterns added, served over plain HTTP too when {@code plain}. */
    RouteTable with(HttpRoute route, long id, String[] paths, String[] methods, boolean inline, boolean plain) {
        Set<String> m = new TreeSet<>();
        for (String method : methods) {
            m.add(method.trim().toUpperCase(Locale.ROOT));
        }
        if (m.contains("GET")) {
            m.add("HEAD");
        }
        List<Entry> next = new ArrayList<>(entries);
        for (String path : paths) {
            next.add(new Entry(PathPattern.parse(path), Set.copyOf(m), inline, route, id, plain));
        }
        next.sort(Comparator.comparing(Entry::pattern).thenComparingLong(Entry::id));
        return new RouteTable(List.copyOf(next));
    }

    /** Returns a table without the service's patterns. */
    RouteTable without(long id) {
        List<Entry> next = new ArrayList<>(entries);
        next.removeIf(e -> e.id() == id);
        return new RouteTable(List.copyOf(next));
    }

    /** Matches a request's method and path. */
    Match match(String method, String path) {
        List<String> segments = PathPattern.split(path);
        Set<String> allowed = null;
        for (Entry e : entries) {
            Map<String, String> params = e.pattern().match(segments);
            if (params == null) {
                continue;
            }
            if (e.methods().contains(method)) {
                return new Found(e, params);
            }
            if (allowed == null) {
                allowed = new TreeSet<>();
            }
            allowed.addAll(e.methods());
        }
        return allowed == null ? NOT_FOUND : new WrongMethod(allowed);
    }

    /** The number of registered patterns. */
    int size() {
        return entries.size();
    }
}
