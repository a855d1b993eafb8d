package dev.meridian.http.internal;

/**
 * Envoy's retry budget for one upstream of targets: over the last {@value #WINDOW_SECONDS} s,
 * retries are at most {@code budget} percent of the requests, and at least {@value #MIN_RETRIES}
 * (so a quiet API may still retry). A dead cluster then sees at most {@code 1 + budget} times its
 * load, never {@code 1 + attempts} times. Ten one-second buckets under this object's lock.
 */
final class RetryBudget {

    static final int WINDOW_SECONDS = 10;
    static final int MIN_RETRIES = 3;

    private final long[] requests = new long[WINDOW_SECONDS];
    private final long[] retries = new long[WINDOW_SECONDS];
    private final long[] epoch = new long[WINDOW_SECONDS];
    private long granted;
    private long refused;

    /** A request arrived (not a retry). */
    synchronized void request(long nowNanos) {
        requests[bucket(nowNanos)]++;
    }

    /** Whether one more retry fits the budget; counts it when it does. */
    synchronized boolean tryRetry(long nowNanos, int percent) {
        int i = bucket(nowNanos);
        long second = nowNanos / 1_000_000_000L;
        long req = 0;
        long ret = 0;
        for (int b = 0; b < WINDOW_SECONDS; b++) {
            if (second - epoch[b] < WINDOW_SECONDS) {
                req += requests[b];
                ret += retries[b];
            }
        }
        if (ret >= Math.max(MIN_RETRIES, req * percent / 100)) {
            refused++;
            return false;
        }
        retries[i]++;
        granted++;
        return true;
    }

    synchronized long granted() {
        return granted;
    }

    synchronized long refused() {
        return refused;
    }

    private int bucket(long nowNanos) {
        long second = Math.floorDiv(nowNanos, 1_000_000_000L);
        int i = (int) Math.floorMod(second, WINDOW_SECONDS);
        if (epoch[i] != second) {
            epoch[i] = second;
            requests[i] = 0;
            retries[i] = 0;
        }
        return i;
    }
}
