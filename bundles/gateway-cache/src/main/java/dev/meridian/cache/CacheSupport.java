package dev.meridian.cache;

import java.util.function.LongSupplier;

/**
 * Construction and maintenance of {@link RouteCache}s for the engine's cache component (in
 * {@code dev.meridian.core.internal}); not for use by other bundles.
 */
public final class CacheSupport {

    private CacheSupport() {
    }

    public static RouteCache routeCache(String apiId, CacheRules rules, CacheStore store, Generations generations,
                                        CacheStats stats, LongSupplier clock, RouteCache.Limits limits,
                                        LocalTier localTier, RouteCache.UrlInvalidator unsafe, TagCounts tagCounts) {
        return new RouteCache(apiId, rules, store, generations, stats, clock, limits, localTier, unsafe, tagCounts);
    }

    /** The cache's map is prepared: lookups start. */
    public static void markReady(RouteCache cache) {
        cache.markReady();
    }

    public static void clearLocal(RouteCache cache) {
        cache.clearLocal();
    }

    /** {@link RouteCache}'s pass over this node's tier dropping invalidated entries; null without a tier. */
    public static LocalTier.Sweep sweep(RouteCache cache) {
        return cache.sweep();
    }

    public static int localEntries(RouteCache cache) {
        return cache.localEntries();
    }

    public static String urlTag(String apiId, String path, String rawQuery) {
        return RouteCache.urlTag(apiId, path, rawQuery);
    }

    /** {@link UrlGenerations#hash} of {@link #urlTag}. */
    public static long urlHash(String apiId, String path, String rawQuery) {
        return UrlGenerations.hash(RouteCache.urlTag(apiId, path, rawQuery));
    }
}
