package dev.meridian.cache;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.meridian.core.StripedCounter;

/**
 * One API's cache counters on this node. Lock-free ({@link StripedCounter}: the hit counter is
 * added to by every hit, from every request thread); read as a snapshot.
 * Evictions (CONTRACT §5): {@code expired} and {@code size} are what the cluster's map removed
 * among the entries this node owns (past their time to live; past the API's bound), plus
 * entries found expired at lookup; {@code invalidated} counts entries refused or dropped
 * because an invalidation covered them. {@code size} also counts the entries this node's fast
 * tier let go to stay within its byte budget ({@code localDropped}: those alone; they remain in
 * the map).
 */
public final class CacheStats {

    final StripedCounter hits = new StripedCounter();
    final StripedCounter misses = new StripedCounter();
    final StripedCounter stale = new StripedCounter();
    final StripedCounter bypass = new StripedCounter();
    final StripedCounter stored = new StripedCounter();
    final StripedCounter expired = new StripedCounter();
    final StripedCounter size = new StripedCounter();
    final StripedCounter invalidated = new StripedCounter();

    public void countBypass() {
        bypass.increment();
    }

    /** As JSON values: hits, misses, stale, bypass, stored, evictions{expired,size,invalidated}. */
    public Map<String, Object> toTree() {
        return toTree(0, 0);
    }

    /** With the map's own removals among this node's entries ({@link CacheStore#localRemovals}). */
    public Map<String, Object> toTree(long mapExpired, long mapEvicted) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("hits", hits.sum());
        t.put("misses", misses.sum());
        t.put("stale", stale.sum());
        t.put("bypass", bypass.sum());
        t.put("stored", stored.sum());
        Map<String, Object> evictions = new LinkedHashMap<>();
        evictions.put("expired", expired.sum() + mapExpired);
        evictions.put("size", mapEvicted + size.sum());
        evictions.put("invalidated", invalidated.sum());
        t.put("evictions", evictions);
        t.put("localDropped", size.sum());
        return t;
    }
}
