package io.ironbell.http.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's path pattern: literal segments, {@code {name}} segments that capture one
 * segment, and an optional final {@code *} that captures the rest.
 */
final class PathPattern implements Comparable<PathPattern> {

    /** The path parameter that a final {@code *} fills. */
    static final String REST = "*";

    private final String text;
    private final String[] segments;
    private final boolean[] isParam;
    private final boolean trailingWildcard;

    private PathPattern(String text, String[] segments, boolean[] isParam, boolean trailingWildcard) {
        this.text = text;
        this.segments = segments;
        this.isParam = isParam;
        this.trailingWildcard = trailingWildcard;
    }

    /**
     * Parses a pattern.
     *
     * @throws IllegalArgumentException naming the pattern and what is wrong with it
     */
    static PathPattern parse(String text) {
        if (text == null || !text.startsWith("/")) {
            throw new IllegalArgumentException("path pattern must start with '/': " + text);
        }
        List<String> parts = split(text);
        boolean wildcard = !parts.isEmpty() && parts.get(parts.size() - 1).equals(REST);
        if (wildcard) {
            parts.remove(parts.size() - 1);
        }
        String[] segs = new String[parts.size()];
        boolean[] params = new boolean[parts.size()];
        for (int i = 0; i < segs.length; i++) {
            String p = parts.get(i);
            if (p.equals(REST)) {
                throw new IllegalArgumentException("'*' may only end a path pattern: " + text);
            }
            if (p.startsWith("{") && p.endsWith("}") && p.length() > 2) {
                params[i] = true;
                segs[i] = p.substring(1, p.length() - 1);
            } else if (p.contains("{") || p.contains("}")) {
                throw new IllegalArgumentException("malformed parameter segment '" + p + "' in " + text);
            } else {
                segs[i] = p;
            }
        }
        return new PathPattern(text, segs, params, wildcard);
    }

    /** Splits a path into its non-empty segments. */
    static List<String> split(String path) {
        List<String> out = new ArrayList<>();
        int start = 1;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            if (end > start) {
                out.add(path.substring(start, end));
            }
            start = end + 1;
        }
        return out;
    }

    /** Returns the captured parameters, or {@code null} when the path does not match. */
    Map<String, String> match(List<String> path) {
        if (path.size() < segments.length || (!trailingWildcard && path.size() != segments.length)) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < segments.length; i++) {
            if (isParam[i]) {
                if (params == null) {
                    params = new LinkedHashMap<>();
                }
                params.put(segments[i], path.get(i));
            } else if (!segments[i].equals(path.get(i))) {
                return null;
            }
        }
        if (params == null) {
            params = new LinkedHashMap<>();
        }
        if (trailingWildcard) {
            params.put(REST, String.join("/", path.subList(segments.length, path.size())));
        }
        return params;
    }

    /** More specific first: more literal segments, then more segments, then no wildcard. */
    @Override
    public int compareTo(PathPattern o) {
        for (int i = 0; i < Math.min(segments.length, o.segments.length); i++) {
            if (isParam[i] != o.isParam[i]) {
                return isParam[i] ? 1 : -1;
            }
        }
        if (segments.length != o.segments.length) {
            return Integer.compare(o.segments.length, segments.length);
        }
        if (trailingWildcard != o.trailingWildcard) {
            return trailingWildcard ? 1 : -1;
        }
        return text.compareTo(o.text);
    }

    @Override
    public String toString() {
        return text;
    }
}
