package dev.meridian.core.cache;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's copy of the cluster's invalidation generations ({@code api:<id>},
 * {@code tag:<tag>}). An entry records the generations current when its request missed; it is
 * served only while none of them has moved on. Bumps arrive by acknowledged broadcast, so once
 * an invalidation call answers, every live node refuses the entries it covers.
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
    /** Moves whenever a generation rises: a fill whose epoch moved may have raced an invalidation. */
    private final AtomicLong epoch = new AtomicLong();

    public long get(String name) {
        Value v = values.get(name);
        return v == null ? 0 : v.generation;
    }

    /** Raises {@code name} to at least {@code value}. */
    public void raise(String name, long value) {
        Value before = values.get(name);
        if (before != null && before.generation >= value) {
            return; // the periodic refresh re-reads every generation: unchanged ones move nothing
        }
        Value raised = new Value(value, System.nanoTime());
        values.merge(name, raised, (old, now) -> old.generation >= now.generation ? old : now);
        epoch.incrementAndGet(); // at least once per rise; a concurrent rise may count twice (harmless)
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
     * Forgets the generations learned {@code retentionNanos} or more before {@code nowNanos}
     * (by a bump or a broadcast; re-reading the same value does not renew it), unless the
     * cluster's latest read, {@code present}, still has them. The cluster keeps each as long
     * after its last bump, so only forgotten ones go; a partial read (a split cluster) cannot
     * make this node forget early.
     */
    public int forgetExpired(Set<String> present, long nowNanos, long retentionNanos) {
        int before = values.size();
        values.entrySet().removeIf(e -> nowNanos - e.getValue().learnedNanos >= retentionNanos
            && !present.contains(e.getKey()));
        return before - values.size();
    }

    public int size() {
        return values.size();
    }

    public long epoch() {
        return epoch.get();
    }

    static String api(String id) {
        return "api:" + id;
    }

    static String tag(String tag) {
        return "tag:" + tag;
    }
}
