package dev.meridian.http.internal;

import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

/**
 * Warnings at most once per interval (the ones in between are counted and the count is logged
 * with the next): for failures that repeat with every request, such as an upstream whose
 * certificate is not trusted.
 */
final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong skipped = new AtomicLong();

    RateLimitedLog(Logger log, long intervalMillis) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    void warn(String message) {
        long now = System.nanoTime();
        long due = next.get();
        if ((due != Long.MIN_VALUE && now - due < 0) || !next.compareAndSet(due, now + intervalNanos)) {
            skipped.incrementAndGet();
            return;
        }
        long more = skipped.getAndSet(0);
        log.warn(more == 0 ? message : message + " (and " + more + " more like it since the last)");
    }
}
