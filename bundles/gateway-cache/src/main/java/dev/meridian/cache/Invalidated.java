package dev.meridian.cache;

import java.util.Map;

/**
 * What one invalidation raised, for the purge that removes the entries it covers where they
 * live ({@link CacheStore#purge}, {@link CachedResponse#coveredBy}). JDK types only: it crosses
 * the cluster.
 *
 * @param apiGeneration the API's raised generation, or 0
 * @param tags raised tag generations by tag (without the {@code tag:} prefix)
 * @param urls raised URL buckets, as {@link CacheStore#bumpUrls} answers them
 */
public record Invalidated(long apiGeneration, Map<String, Long> tags, Map<Integer, long[]> urls) {

    public Invalidated {
        tags = Map.copyOf(tags);
        urls = Map.copyOf(urls);
    }
}
