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
 * retention} after its last bump, when no entry stored before that bump can remain (entries are
 * kept and served at most {@link RouteCache.Limits#maxKeepMillis} after they were fetched), and
 * this node forgets it too ({@link #forgetAbsent}).
 */
public final class Generations {

    /** A value learned within this long before a snapshot is kept though the snapshot lacks it (it may postdate it). */
    static final long SNAPSHOT_SLACK_NANOS = 60_000_000_000L;

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
     * After a full read of the cluster's generations taken at {@code takenNanos}: forgets those
     * the cluster no longer has (their retention ran out), unless learned shortly before the read
     * (a bump written after it). Lowering a generation never makes an invalidated entry usable
     * again: the cluster forgets one only once every entry stored before its bump is gone.
     */
    public int forgetAbsent(Set<String> present, long takenNanos) {
        int before = values.size();
        values.entrySet().removeIf(e -> !present.contains(e.getKey())
            && takenNanos - e.getValue().learnedNanos > SNAPSHOT_SLACK_NANOS);
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
