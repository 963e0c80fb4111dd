package io.ironbell.api.store;

/**
 * Which page of a listing to return.
 *
 * @param cursor a cursor from a previous {@link Page}, or {@code null} for the first page
 * @param limit  the most items to return, between 1 and {@link #MAX_LIMIT}
 */
public record PageRequest(String cursor, int limit) {

    /** The largest page any store returns. */
    public static final int MAX_LIMIT = 1000;

    /** The page size used when none is given. */
    public static final int DEFAULT_LIMIT = 100;

    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
    }

    /** Returns the first page of the default size. */
    public static PageRequest first() {
        return new PageRequest(null, DEFAULT_LIMIT);
    }
}
