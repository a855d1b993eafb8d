package dev.meridian.core.series;

import java.util.Comparator;
import java.util.Objects;

/**
 * A series' key: an API id and one of its shapes ({@code ""}: the API's main shape).
 * {@link SeriesBook#OTHER} ({@code ("", "other")}) holds the keys beyond {@link SeriesBook#MAX_SERIES}.
 */
public record Key(String apiId, String shape) implements Comparable<Key> {

    private static final Comparator<Key> ORDER = Comparator.comparing(Key::apiId).thenComparing(Key::shape);

    public Key {
        Objects.requireNonNull(apiId, "apiId");
        Objects.requireNonNull(shape, "shape");
    }

    @Override
    public int compareTo(Key o) {
        return ORDER.compare(this, o);
    }
}
