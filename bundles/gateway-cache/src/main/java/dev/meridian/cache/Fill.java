package dev.meridian.cache;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The right and duty to fill one key after a miss: store the upstream's answer, or release the
 * key when it cannot be stored. Requests that missed the same key on this node meanwhile wait
 * for the leader's fill instead of calling the upstream too (one upstream call per key and node).
 * Exactly one of {@link #store} and {@link #release} must be called; later calls are ignored.
 *
 * <p>A fill remembers the invalidation generations its answer depends on as they were when its
 * request was sent (its API's, its URL's, its definition tags'), so that an answer fetched across
 * an invalidation of any of them is not stored; invalidations of anything else do not matter.
 */
public final class Fill {

    final RouteCache cache;
    final String key;
    final String path;
    final String rawQuery;
    final HeaderView request;
    final long requestTimeMillis;
    /** {@link System#nanoTime} when the request was sent: a generation learned later rose during the fetch. */
    final long startNanos;
    final long apiGeneration;
    final long urlHash;
    final long urlGeneration;
    /** The definition's tags of this request and their generations when it was sent. */
    final Map<String, Long> tagGenerations;
    final boolean leader;
    final CompletableFuture<Void> done;
    /** The stored entry this miss may revalidate (it has a validator), or null. */
    volatile CachedResponse revalidating;
    /** An expired entry that may still be served if the upstream fails (stale-if-error), or null. */
    volatile CachedResponse staleIfError;

    Fill(RouteCache cache, String key, String path, String rawQuery, HeaderView request, long requestTimeMillis,
         long startNanos, long apiGeneration, long urlHash, long urlGeneration, Map<String, Long> tagGenerations,
         boolean leader, CompletableFuture<Void> done) {
        this.cache = cache;
        this.key = key;
        this.path = path;
        this.rawQuery = rawQuery;
        this.request = request;
        this.requestTimeMillis = requestTimeMillis;
        this.startNanos = startNanos;
        this.apiGeneration = apiGeneration;
        this.urlHash = urlHash;
        this.urlGeneration = urlGeneration;
        this.tagGenerations = tagGenerations;
        this.leader = leader;
        this.done = done;
    }

    /** Why the upstream's answer may not be stored, or {@code null} when it may (decided at its headers). */
    public String refusal(String method, int status, HeaderView response) {
        return Storability.refusal(cache.rules(), method, status, request, response);
    }

    /**
     * Stores the complete upstream answer (headers as received, body whole); then releases the
     * waiters. The stage completes once every node can read the entry (at once when it was not
     * stored): hold the client's last bytes until then, and a client that asks another node right
     * after its answer hits there.
     */
    public java.util.concurrent.CompletionStage<Void> store(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        try {
            return cache.store(this, status, headers, body);
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
     * The expired entry that may answer instead of a failed upstream (RFC 5861 stale-if-error):
     * {@code status} is the upstream's 500, 502, 503 or 504, or 502/504 for a connection failure
     * or timeout. Null when there is none, or neither its window nor the request's allows it.
     */
    public CachedResponse staleIfError(int status) {
        CachedResponse e = staleIfError;
        return e != null && cache.mayServeOnError(e, status, request) ? e : null;
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
