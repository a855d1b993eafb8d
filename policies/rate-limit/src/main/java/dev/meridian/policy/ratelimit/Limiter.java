package dev.meridian.policy.ratelimit;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.SharedState;

/**
 * This node's counts for every rate-limit policy of one factory, by bucket (API, scope, window
 * length, key and key value; {@link RateLimitPolicy#bucketKey}). The factory owns it, not the
 * compiled policies, so an apply that changes a limit compiles a new policy over the same counts:
 * the window's count is kept (in cluster scope it lives in the cluster anyway, and the cluster
 * key holds no limit).
 *
 * <p><b>Memory.</b> At most {@link #MAX_BUCKETS} buckets; buckets of ended windows are swept every
 * second ({@link #sweep}, from the factory's scheduler) and at once when the bound is reached. A
 * new key past the bound (a flood of distinct addresses) shares one overflow bucket (beyond the bound) per API and
 * policy with every other such key until room is made: those clients are limited together, never
 * admitted past a limit, and the heap does not grow.
 */
final class Limiter {

    private static final Logger LOG = LoggerFactory.getLogger(Limiter.class);

    /** Buckets kept per node and factory: ~200 bytes each, so ~20 MB at the bound. */
    static final int MAX_BUCKETS = 100_000;
    /** The shared-state space of the cluster counts. */
    static final String STATE = "rate-limit.windows";

    private final SharedState state;
    private final Clock clock;
    private final int maxBuckets;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final AtomicLong failureLoggedAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong overflowLoggedAt = new AtomicLong(Long.MIN_VALUE);

    Limiter(SharedState state, Clock clock) {
        this(state, clock, MAX_BUCKETS);
    }

    Limiter(SharedState state, Clock clock, int maxBuckets) {
        this.state = state;
        this.clock = clock;
        this.maxBuckets = maxBuckets;
    }

    /**
     * Counts one request of {@code bucketKey} against {@code config}. Never blocks: in cluster
     * scope a request that finds no leased token gets {@link Outcome.Later}.
     *
     * @param overflowKey the bucket shared by new keys of this API and policy when the bound is reached
     */
    Outcome acquire(String bucketKey, String overflowKey, RateLimitConfig config) {
        long now = clock.millis();
        long per = config.per().toMillis();
        Bucket b = buckets.get(bucketKey);
        if (b == null || now >= b.window.end()) {
            b = current(bucketKey, overflowKey, config, now, per);
        }
        return b.acquire(config.limit(), now, b instanceof LeaseBucket ? new Bucket.Again(this, bucketKey, overflowKey, config) : null);
    }

    private Bucket current(String bucketKey, String overflowKey, RateLimitConfig config, long now, long per) {
        Window w = Window.at(now, per);
        String key = bucketKey;
        if (!buckets.containsKey(key) && buckets.size() >= maxBuckets) {
            sweep();
            if (buckets.size() >= maxBuckets) {
                overflowed();
                key = overflowKey;
            }
        }
        Bucket b = buckets.compute(key, (k, old) -> old != null && old.window.start() >= w.start() ? old
            : config.scope() == RateLimitConfig.Scope.NODE ? new NodeBucket(w)
            : new LeaseBucket(w, state, k, this::failed, clock,
                old instanceof LeaseBucket previous && previous.window.end() == w.start() ? previous.handOver() : null));
        if (b instanceof LeaseBucket lease) {
            lease.start();
        }
        return b;
    }

    /** Removes the buckets of ended windows (one sweep at a time; a request finding the bound reached may run it). */
    void sweep() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            long now = clock.millis();
            // a bucket holding the next window's lease stays until that window's bucket takes it
            // over (or that window ends too): removed in the gap between a window's end and its
            // key's next request, the slice was lost (CI: 938 of 1,000 in four windows)
            buckets.values().removeIf(b -> b.window.end() <= now
                && !(b instanceof LeaseBucket lease && lease.holdsNext() && 2 * b.window.end() - b.window.start() > now));
        } finally {
            sweeping.set(false);
        }
    }

    /** Buckets held on this node. */
    int size() {
        return buckets.size();
    }

    private void failed(Throwable failure) {
        if (onceAMinute(failureLoggedAt)) {
            LOG.warn("rate-limit: a lease from the cluster failed ({}); this node counts cluster-scope windows on its"
                + " own for {} s, so the cluster may admit up to limit x nodes meanwhile (logged at most once a minute)",
                failure.toString(), LeaseBucket.DEGRADED_FOR / 1_000);
        }
    }

    private void overflowed() {
        if (onceAMinute(overflowLoggedAt)) {
            LOG.warn("rate-limit: {} keys counted on this node in live windows; new keys share one count per API until"
                + " windows end (logged at most once a minute)", maxBuckets);
        }
    }

    private static boolean onceAMinute(AtomicLong loggedAt) {
        long now = System.nanoTime();
        long last = loggedAt.get();
        return (last == Long.MIN_VALUE || now - last > 60_000_000_000L) && loggedAt.compareAndSet(last, now);
    }
}
