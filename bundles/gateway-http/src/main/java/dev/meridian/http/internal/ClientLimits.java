package dev.meridian.http.internal;

import java.time.Duration;

/**
 * How long a client may take to send a request (CONTRACT §9): the whole head within {@code
 * headTimeout} of its first byte ({@code MERIDIAN_HEADER_TIMEOUT}), and a body at no less than
 * {@code minBodyRate} bytes a second on average once {@code bodyGrace} has passed since the head
 * ({@code MERIDIAN_MIN_BODY_RATE}, {@code MERIDIAN_BODY_GRACE}). A connection that breaks either
 * is closed.
 *
 * @param headTimeout the longest a request head may take to arrive, from its first byte
 * @param minBodyRate bytes per second a body must average past the grace; 0 = no minimum
 * @param bodyGrace how long a body may arrive at any pace before its rate is judged
 */
record ClientLimits(Duration headTimeout, long minBodyRate, Duration bodyGrace) {

    ClientLimits {
        if (headTimeout.isNegative() || headTimeout.isZero()) {
            throw new IllegalArgumentException("MERIDIAN_HEADER_TIMEOUT must be positive: " + headTimeout);
        }
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("MERIDIAN_MIN_BODY_RATE must not be negative: " + minBodyRate);
        }
        if (bodyGrace.isNegative()) {
            throw new IllegalArgumentException("MERIDIAN_BODY_GRACE must not be negative: " + bodyGrace);
        }
    }

    /**
     * Whether a head that began {@code headNanos} ago is late.
     */
    boolean headLate(long headNanos) {
        return headNanos > headTimeout.toNanos();
    }

    /**
     * Whether a body that has sent {@code bytes} in the {@code bodyNanos} since its head is too
     * slow: past the grace, fewer bytes than {@code minBodyRate} for every second since the head.
     */
    boolean bodyTooSlow(long bytes, long bodyNanos) {
        if (minBodyRate == 0 || bodyNanos <= bodyGrace.toNanos()) {
            return false;
        }
        // bytes / seconds < rate, without a division; a body of hours at 1 GB/s stays far from overflow
        return bytes * 1_000_000_000L < minBodyRate * bodyNanos;
    }
}
