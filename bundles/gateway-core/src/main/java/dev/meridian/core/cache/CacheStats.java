package dev.meridian.core.cache;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * One API's cache counters on this node. Lock-free ({@link LongAdder}); read as a snapshot.
 * Evictions: {@code expired} (past lifetime and grace when looked up), {@code size} (the
 * node's fast tier or the map's bound), {@code invalidated} (dropped by an invalidation).
 */
public final class CacheStats {

    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder stale = new LongAdder();
    final LongAdder bypass = new LongAdder();
    final LongAdder stored = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder size = new LongAdder();
    final LongAdder invalidated = new LongAdder();

    public void countBypass() {
        bypass.increment();
    }

    /** As JSON values: hits, misses, stale, bypass, stored, evictions{expired,size,invalidated}. */
    public Map<String, Object> toTree() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("hits", hits.sum());
        t.put("misses", misses.sum());
        t.put("stale", stale.sum());
        t.put("bypass", bypass.sum());
        t.put("stored", stored.sum());
        Map<String, Object> evictions = new LinkedHashMap<>();
        evictions.put("expired", expired.sum());
        evictions.put("size", size.sum());
        evictions.put("invalidated", invalidated.sum());
        t.put("evictions", evictions);
        return t;
    }
}
