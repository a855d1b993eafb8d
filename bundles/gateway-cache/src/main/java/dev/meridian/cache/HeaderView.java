package dev.meridian.cache;

import java.util.List;
import java.util.Map;

/**
 * Read access, by name, to the header fields of one request or response, so that the cache
 * rules need no server type. The data plane adapts its own header container with a lambda.
 *
 * <p>Threading: a view over a live request or response is used on that exchange's thread only;
 * views made by {@link #of(List)} are immutable and thread-safe. Nullability: {@code name} must
 * not be null; {@link #values(String)} never returns null.
 */
@FunctionalInterface
public interface HeaderView {

    /**
     * All field lines named {@code name}, compared case-insensitively, in message order. Each
     * element is one field line's value as received and may itself be a comma-separated list.
     *
     * @return the values, empty when the header is absent; never null
     */
    List<String> values(String name);

    /** The first field line named {@code name} (case-insensitive), or null when absent. */
    default String first(String name) {
        List<String> values = values(name);
        return values.isEmpty() ? null : values.get(0);
    }

    /**
     * An immutable view over a copy of {@code fields} (name, value pairs in message order), for
     * tests and stored responses. Lookup is a linear, case-insensitive scan.
     *
     * <p>Passing a view made here to {@link CachedResponse#mergedWith304} lets the merge see
     * every field of the 304, not only the ones it asks for by name.
     *
     * @throws NullPointerException if the list, an entry, a name or a value is null
     */
    static HeaderView of(List<Map.Entry<String, String>> fields) {
        return new FieldList(Fields.copy(fields));
    }
}
