package dev.meridian.core.series;

/** Why a cache entry left the store. */
public enum EvictionReason {
    /** The store's entry count bound. */
    SIZE,
    /** The store's byte bound. */
    BYTES,
    /** Its time to live ran out. */
    EXPIRED,
    /** Invalidated by key or tag (admin API, or an unsafe method on the resource). */
    INVALIDATED
}
