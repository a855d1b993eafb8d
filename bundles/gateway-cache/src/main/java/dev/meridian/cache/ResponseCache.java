package dev.meridian.cache;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

import dev.meridian.model.ApiDefinition;

/**
 * The node's response cache (CONTRACT §6): the data plane asks it for a route's
 * {@link RouteCache}; the admin API invalidates and reads statistics through it.
 */
@ProviderType
public interface ResponseCache {

    /** The cache of this API's current settings, or {@code null} when it has none. One map lookup when unchanged. */
    RouteCache forApi(ApiDefinition api);

    /**
     * Invalidates a whole API ({@code keys} and {@code tags} empty), some of its URLs
     * ({@code keys}: paths with an optional query, every variant of each), or tags across APIs
     * ({@code api} null). Answers once every live node acknowledged that it serves none of them.
     */
    Invalidation invalidate(String api, List<String> keys, List<String> tags);

    /** This node's statistics: {@code {"node","region","apis":{id:{hits,...,localEntries}}}}. */
    Map<String, Object> nodeStats();

    /** Every live node's {@link #nodeStats()}, as each answered. */
    List<Map<String, Object>> clusterStats();

    /** Entries each cached API holds cluster-wide, by API id. */
    Map<String, Long> entries();

    /**
     * @param invalidated entries covered: of a whole API, those its map held; of tags, those the
     *     nodes stored under them since they were last invalidated (expired ones included); of
     *     keys, the URLs (each with all its variants)
     * @param nodes each live node's acknowledgement ({@link CacheStore.NodeReply#error()} set when it failed)
     */
    record Invalidation(long invalidated, long tookMs, List<CacheStore.NodeReply> nodes) {

        public boolean acknowledged() {
            return nodes.stream().allMatch(n -> n.error() == null);
        }
    }
}
