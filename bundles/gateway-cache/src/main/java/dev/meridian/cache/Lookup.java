package dev.meridian.cache;

/**
 * What a cache lookup found. A {@link Miss} carries the {@link Fill} through which the
 * response fetched from the upstream is stored (or released when it cannot be).
 */
public sealed interface Lookup {

    /** A fresh entry: answer from it ({@code X-Cache: HIT}). */
    record Hit(CachedResponse entry, long ageMillis) implements Lookup {
    }

    /** An expired entry within its grace while another request refreshes it ({@code X-Cache: STALE}). */
    record Stale(CachedResponse entry, long ageMillis) implements Lookup {
    }

    /**
     * An expired entry within its {@code stale-while-revalidate} window (RFC 5861): answer from it
     * ({@code X-Cache: STALE}) and refresh it in the background through {@code fill}, whose
     * request is this one's (after the request phase), sent without a client waiting.
     */
    record Refresh(CachedResponse entry, long ageMillis, Fill fill) implements Lookup {
    }

    /** The request said {@code only-if-cached} and nothing usable is stored: 504 (RFC 9111 §5.2.1.7). */
    record NotCached() implements Lookup {
    }

    /** Nothing usable: fetch from the upstream and hand the answer to {@code fill} ({@code X-Cache: MISS}). */
    record Miss(Fill fill) implements Lookup {
    }

    /** Not looked up and not stored ({@code X-Cache: BYPASS}): request {@code no-store}, say. */
    record Bypass(String reason) implements Lookup {
    }
}
