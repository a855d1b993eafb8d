package dev.meridian.core.series;

/** What the cache did for one request. */
public enum CacheOutcome {
    /** The request's route has no cache: counts in none of the cache counters. */
    NONE,
    /** Answered from a fresh stored entry. */
    HIT,
    /** Nothing usable stored: the upstream answered. */
    MISS,
    /** Answered from a stale stored entry (stale-while-revalidate, stale-if-error). */
    STALE,
    /** The route has a cache, but this request was not cacheable (method, {@code no-store}, ...). */
    BYPASS
}
