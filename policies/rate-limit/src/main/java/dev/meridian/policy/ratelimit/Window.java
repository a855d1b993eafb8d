package dev.meridian.policy.ratelimit;

/**
 * One fixed window: windows of {@code per} milliseconds divide the time line from the epoch, so
 * every node computes the same window from its own clock (to the nodes' clock agreement).
 * Pure arithmetic.
 *
 * @param start the first millisecond of the window (epoch milliseconds)
 * @param end the first millisecond after it
 */
record Window(long start, long end) {

    /** The window of {@code perMillis} that holds {@code nowMillis}. */
    static Window at(long nowMillis, long perMillis) {
        long start = nowMillis - Math.floorMod(nowMillis, perMillis);
        return new Window(start, start + perMillis);
    }

    /** Whole seconds until this window ends, rounded up, at least 1: {@code Retry-After} and the draft's {@code t}. */
    long secondsLeft(long nowMillis) {
        long left = end - nowMillis;
        return Math.max(1, (left + 999) / 1_000);
    }
}
