package dev.meridian.core.cache;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The right and duty to fill one key after a miss: store the upstream's answer, or release the
 * key when it cannot be stored. Requests that missed the same key on this node meanwhile wait
 * for the leader's fill instead of calling the upstream too (one upstream call per key and node).
 * Exactly one of {@link #store} and {@link #release} must be called; later calls are ignored.
 */
public final class Fill {

    final RouteCache cache;
    final String key;
    final String path;
    final String rawQuery;
    final HeaderView request;
    final long requestTimeMillis;
    final long epoch;
    final long apiGeneration;
    final boolean leader;
    final CompletableFuture<Void> done;
    /** The stored entry this miss may revalidate (it has a validator), or null. */
    volatile CachedResponse revalidating;

    Fill(RouteCache cache, String key, String path, String rawQuery, HeaderView request, long requestTimeMillis,
         long epoch, long apiGeneration, boolean leader, CompletableFuture<Void> done) {
        this.cache = cache;
        this.key = key;
        this.path = path;
        this.rawQuery = rawQuery;
        this.request = request;
        this.requestTimeMillis = requestTimeMillis;
        this.epoch = epoch;
        this.apiGeneration = apiGeneration;
        this.leader = leader;
        this.done = done;
    }

    /** Why the upstream's answer may not be stored, or {@code null} when it may (decided at its headers). */
    public String refusal(String method, int status, HeaderView response) {
        return Storability.refusal(cache.rules(), method, status, request, response);
    }

    /** Stores the complete upstream answer (headers as received, body whole); then releases the waiters. */
    public void store(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        try {
            cache.store(this, status, headers, body);
        } finally {
            done.complete(null);
        }
    }

    /**
     * The expired entry this miss may revalidate with a conditional request
     * ({@link CachedResponse#etag()}, {@link CachedResponse#lastModified()}), or {@code null}.
     */
    public CachedResponse revalidating() {
        return revalidating;
    }

    /**
     * The upstream answered the conditional request with 304: the stored entry is merged with
     * the 304's header fields (RFC 9111 §4.3.4), stored again, and returned for this request
     * to be answered from. Null when there was nothing to revalidate.
     */
    public CachedResponse notModified(List<Map.Entry<String, String>> headers) {
        CachedResponse entry = revalidating;
        if (entry == null) {
            release();
            return null;
        }
        try {
            return cache.storeMerged(this, entry, headers);
        } finally {
            done.complete(null);
        }
    }

    /** Gives the key up without storing (uncacheable, too large, failed); waiters call the upstream themselves. */
    public void release() {
        cache.release(this);
        done.complete(null);
    }
}
