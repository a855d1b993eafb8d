package dev.meridian.core.cache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's copy of the cluster's invalidation generations ({@code api:<id>},
 * {@code tag:<tag>}). An entry records the generations current when its request missed; it is
 * served only while none of them has moved on. Bumps arrive by acknowledged broadcast, so once
 * an invalidation call answers, every live node refuses the entries it covers.
 */
public final class Generations {

    private final ConcurrentHashMap<String, Long> values = new ConcurrentHashMap<>();
    /** Moves whenever a generation rises: a fill whose epoch moved may have raced an invalidation. */
    private final AtomicLong epoch = new AtomicLong();

    public long get(String name) {
        Long v = values.get(name);
        return v == null ? 0 : v;
    }

    /** Raises {@code name} to at least {@code value}. */
    public void raise(String name, long value) {
        Long before = values.get(name);
        if (before != null && before >= value) {
            return; // the periodic refresh re-reads every generation: unchanged ones move nothing
        }
        values.merge(name, value, Math::max);
        epoch.incrementAndGet(); // at least once per rise; a concurrent rise may count twice (harmless)
    }

    public void raiseAll(Map<String, Long> all) {
        all.forEach(this::raise);
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
