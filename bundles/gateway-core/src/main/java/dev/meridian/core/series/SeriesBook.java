package dev.meridian.core.series;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * This node's time series, one {@link Series} per API and shape: one-second slots for the last
 * 15 minutes, one-minute slots for the last 24 hours, on wall-clock epoch seconds (so the cluster
 * merges nodes' {@link Frame}s by time).
 *
 * <p><b>Who calls what.</b> The data plane: {@link #series} once per route (when a table is
 * compiled), then {@link Series#record} per answer and {@link Series#evicted} per eviction. The
 * owner (one thread): {@link #roll} about once a second (late or paused calls catch up), {@link
 * #forget} when an API is removed. Anyone: {@link #read}.
 *
 * <p><b>Memory bound.</b> A series holds nothing until its first record, then at most {@value
 * Series#BYTES} bytes (~1.05 MiB: 2,340 slots of 468 bytes: 115 int counters and a long epoch, and
 * the current second's stripes, at most {@value Stripes#MAX_BYTES} bytes). At most {@link
 * #MAX_SERIES} keys are kept apart; keys asked for beyond that record into one shared series,
 * {@link #OTHER}. Worst case per node: 33 series, 36.3 MB (34.6 MiB), whatever the traffic.
 *
 * <p>Thread-safe.
 */
public final class SeriesBook {

    /** Keys kept apart per node; beyond that they share {@link #OTHER}. */
    public static final int MAX_SERIES = 32;
    /** The series of keys beyond {@link #MAX_SERIES}. */
    public static final Key OTHER = new Key("", "other");

    private final Clock clock;
    private final Map<Key, Series> series = new ConcurrentHashMap<>();
    private final Series other = new Series(OTHER);

    /** @param clock the wall clock reads are relative to (the kept windows end at its second) */
    public SeriesBook(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The handle of API {@code apiId}'s shape {@code shape} ({@code ""}: its main shape), the same
     * for the same key until the API is forgotten; {@link #OTHER}'s handle once {@link #MAX_SERIES}
     * keys are kept (a key that finds a free place later gets its own series from then on).
     *
     * @throws IllegalArgumentException for an empty API id (reserved for {@link #OTHER})
     */
    public Series series(String apiId, String shape) {
        Key key = new Key(apiId, shape);
        if (apiId.isEmpty()) {
            throw new IllegalArgumentException("an API id is required (\"\" is the shared series' key)");
        }
        Series s = series.get(key);
        if (s != null) {
            return s;
        }
        synchronized (series) {
            s = series.get(key);
            if (s == null) {
                if (series.size() >= MAX_SERIES) {
                    return other;
                }
                s = new Series(key);
                series.put(key, s);
            }
            return s;
        }
    }

    /**
     * Drops every series of API {@code apiId} (all its shapes) and their memory; handles still held
     * record nothing from now on. What the API counted in {@link #OTHER} stays there.
     */
    public void forget(String apiId) {
        synchronized (series) {
            series.values().removeIf(s -> {
                if (s.key().apiId().equals(apiId)) {
                    s.drop();
                    return true;
                }
                return false;
            });
        }
    }

    /**
     * Drops the series of API {@code apiId}'s shape {@code shape} ({@code ""}: its main shape) and
     * its memory (a shape removed from a split); its handle records nothing from now on.
     */
    public void forget(String apiId, String shape) {
        synchronized (series) {
            Series s = series.remove(new Key(apiId, shape));
            if (s != null) {
                s.drop();
            }
        }
    }

    /**
     * Rolls every completed minute of every series not rolled yet into its minute slots (the sum of
     * its 60 seconds). Idempotent; after a pause it catches up on every minute whose seconds are
     * still held (a second slot is reused 15 minutes on, and only if that series recorded then).
     * Until a minute is rolled, reads sum its seconds so far.
     */
    public void roll(long nowMillis) {
        for (Series s : series.values()) {
            s.roll(nowMillis);
        }
        other.roll(nowMillis);
    }

    /**
     * The slots with data, of the keys {@code which} accepts, whose start lies in {@code
     * [fromEpochSecond, toEpochSecond)} and within the kept window (the last 900 seconds or 1440
     * minutes, up to this clock's current second, which counts so far); keys without such a slot
     * are left out.
     */
    public Frame read(Resolution res, long fromEpochSecond, long toEpochSecond, Predicate<Key> which) {
        Objects.requireNonNull(res, "res");
        if (fromEpochSecond > toEpochSecond) {
            throw new IllegalArgumentException("from after to: " + fromEpochSecond + " > " + toEpochSecond);
        }
        long now = Math.floorDiv(clock.millis(), 1000);
        List<Series> all = new ArrayList<>(series.values());
        all.add(other);
        Map<Key, List<Frame.Point>> out = new TreeMap<>();
        for (Series s : all) {
            if (s.used() && which.test(s.key())) {
                List<Frame.Point> points = s.read(res, fromEpochSecond, toEpochSecond, now);
                if (!points.isEmpty()) {
                    out.put(s.key(), points);
                }
            }
        }
        return new Frame(res, fromEpochSecond, toEpochSecond, out);
    }

    /** The keys kept apart now (not {@link #OTHER}). */
    public List<Key> keys() {
        List<Key> keys = new ArrayList<>(series.keySet());
        keys.sort(null);
        return keys;
    }
}
