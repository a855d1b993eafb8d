package dev.meridian.cache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's copy of the cluster's invalidation generations: named ones ({@code api:<id>},
 * {@code tag:<tag>}) and those of single URLs ({@link UrlGenerations}). An entry records the
 * generations current when its request missed; it is served only while none of them has moved
 * on. Bumps arrive by acknowledged broadcast, so once an invalidation call answers, every live
 * node refuses the entries it covers.
 *
 * <p>A fill is refused when a generation <em>it depends on</em> rose during its fetch (its API,
 * its URL, its tags): {@link #risenSince} tells, per name, whether this node learned a rise after
 * the fill started. Invalidations of other URLs, other tags or other APIs do not touch it.
 *
 * <p>Generations are not kept forever: the cluster forgets one {@link CacheStore#bump its
 * retention} after its last bump, and this node forgets it the same time after it learned it
 * ({@link #forgetExpired}). That is safe because (1) every entry whose request started before
 * the bump is gone by then: entries are kept and served at most {@link
 * RouteCache.Limits#maxKeepMillis} after their request, and the retention is longer; and (2) a
 * generation never comes back lower than a value it had ({@link #next}): a later bump of a
 * forgotten generation still refuses every entry stored under its earlier values.
 */
public final class Generations {

    private record Value(long generation, long learnedNanos) {
    }

    private final ConcurrentHashMap<String, Value> values = new ConcurrentHashMap<>();
    private final UrlGenerations urls = new UrlGenerations();

    public long get(String name) {
        Value v = values.get(name);
        return v == null ? 0 : v.generation;
    }

    /** Whether this node learned a rise of {@code name} after {@code nanos} ({@link System#nanoTime}). */
    public boolean risenSince(String name, long nanos) {
        Value v = values.get(name);
        return v != null && v.learnedNanos - nanos > 0;
    }

    /** The generations of single URLs. */
    public UrlGenerations urls() {
        return urls;
    }

    /** Raises {@code name} to at least {@code value}. */
    public void raise(String name, long value) {
        Value before = values.get(name);
        if (before != null && before.generation >= value) {
            return; // a re-read of an unchanged generation moves nothing
        }
        values.merge(name, new Value(value, System.nanoTime()), (old, now) -> old.generation >= now.generation ? old : now);
    }

    public void raiseAll(Map<String, Long> all) {
        all.forEach(this::raise);
    }

    /**
     * The value a bump gives: above the current one, and at least the wall clock in milliseconds,
     * so that a generation bumped again after the cluster forgot it (its retention, a day, later)
     * is still above every value it had. Run where the generation lives (the cluster).
     */
    public static long next(Long current, long nowMillis) {
        return Math.max(current == null ? 1 : current + 1, nowMillis);
    }

    /**
     * Forgets the named generations learned (by a bump, a broadcast or a read; re-reading the
     * same value does not renew it) {@code retentionNanos} or more before {@code nowNanos}. The
     * cluster keeps each that long after its last bump, and this node learned each at or after
     * that bump, so it never forgets one before the cluster does; a rise it missed reaches it by
     * the next read of what changed. URL generations older than the retention go too
     * ({@link UrlGenerations#forgetExpired}).
     */
    public int forgetExpired(long nowNanos, long retentionNanos, long nowMillis) {
        int before = values.size();
        values.entrySet().removeIf(e -> nowNanos - e.getValue().learnedNanos >= retentionNanos);
        urls.forgetExpired(nowMillis, retentionNanos / 1_000_000);
        return before - values.size();
    }

    /** Named generations held (URL generations: {@link UrlGenerations#size}). */
    public int size() {
        return values.size();
    }

    static String api(String id) {
        return "api:" + id;
    }

    static String tag(String tag) {
        return "tag:" + tag;
    }
}
