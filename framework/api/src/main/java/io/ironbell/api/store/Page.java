package io.ironbell.api.store;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing, with the cursor that continues it.
 *
 * @param items      the items of this page, in listing order
 * @param nextCursor opaque cursor for the next page; {@code null} on the last page
 * @param <T>        the item type
 */
public record Page<T>(List<T> items, String nextCursor) {

    public Page {
        items = List.copyOf(items);
    }

    /** Returns the cursor of the next page, if there is one. */
    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }
}
