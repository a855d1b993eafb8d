package dev.meridian.policy.ratelimit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scope: node}: this node's own count of a window, one compare-and-set per request, no
 * cluster call. Only admitted requests count, so a limit raised mid-window admits the difference.
 */
final class NodeBucket extends Bucket {

    private final AtomicLong admitted = new AtomicLong();

    NodeBucket(Window window) {
        super(window);
    }

    @Override
    Outcome acquire(long cap, long now, Again again) {
        long n;
        while ((n = admitted.get()) < cap) {
            if (admitted.compareAndSet(n, n + 1)) {
                return new Outcome.Admitted(cap - n - 1, window.secondsLeft(now));
            }
        }
        return new Outcome.Limited(window.secondsLeft(now));
    }

    /** Requests admitted in this window so far. */
    long admitted() {
        return admitted.get();
    }
}
