package dev.meridian.policy.ratelimit;

/** The count of one key in one window on this node. Thread-safe. */
abstract sealed class Bucket permits NodeBucket, LeaseBucket {

    final Window window;

    Bucket(Window window) {
        this.window = window;
    }

    /**
     * Counts one request against {@code cap} at {@code now}. Never blocks.
     *
     * @param again counts the request anew in the window current then (a request that waited
     *     past its window's end is not admitted from the budget of a window gone by)
     */
    abstract Outcome acquire(long cap, long now, Again again);

    /** Where a request is counted: the limiter and the request's bucket, to count it again in a later window. */
    record Again(Limiter limiter, String bucketKey, String overflowKey, RateLimitConfig config) {
        Outcome acquire() {
            return limiter.acquire(bucketKey, overflowKey, config);
        }
    }
}
