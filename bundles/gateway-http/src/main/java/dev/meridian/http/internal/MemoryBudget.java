package dev.meridian.http.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's budget for request bodies kept in memory ({@code MERIDIAN_BODY_MEMORY}): bytes are
 * reserved before an array holds them and given back when the exchange ends, so thousands of
 * concurrent uploads cannot take more than the budget of heap; a body that finds it spent goes to
 * disk. Lock-free (one CAS per reservation): only requests with a body touch it.
 */
final class MemoryBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();

    /** @param limit bytes that may be reserved at once, {@code >= 0} */
    MemoryBudget(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("MERIDIAN_BODY_MEMORY must not be negative: " + limit);
        }
        this.limit = limit;
    }

    /** Reserves {@code bytes}; false (nothing reserved) when that would pass the limit. */
    boolean reserve(long bytes) {
        while (true) {
            long now = used.get();
            long next = now + bytes;
            if (next > limit) {
                return false;
            }
            if (used.compareAndSet(now, next)) {
                peak.accumulateAndGet(next, Math::max);
                return true;
            }
        }
    }

    /** Gives back {@code bytes} reserved earlier. */
    void release(long bytes) {
        if (bytes > 0) {
            used.addAndGet(-bytes);
        }
    }

    long limit() {
        return limit;
    }

    /** Bytes reserved now. */
    long used() {
        return used.get();
    }

    /** The most ever reserved at once since start. */
    long peak() {
        return peak.get();
    }
}
