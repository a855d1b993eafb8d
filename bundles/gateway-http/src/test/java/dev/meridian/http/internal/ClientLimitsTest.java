package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ClientLimitsTest {

    private static final long SECOND = 1_000_000_000L;
    private final ClientLimits limits = new ClientLimits(Duration.ofSeconds(10), 1024, Duration.ofSeconds(5));

    @Test
    void should_find_a_head_late_only_past_its_timeout() {
        assertFalse(limits.headLate(10 * SECOND));
        assertTrue(limits.headLate(10 * SECOND + 1));
    }

    @Test
    void should_judge_a_body_rate_only_after_the_grace() {
        assertFalse(limits.bodyTooSlow(0, 5 * SECOND), "within the grace any pace goes");
        assertTrue(limits.bodyTooSlow(0, 5 * SECOND + 1), "a stalled body");
        assertTrue(limits.bodyTooSlow(6 * 1024 - 1, 6 * SECOND), "below 1024 bytes for every second");
        assertFalse(limits.bodyTooSlow(6 * 1024, 6 * SECOND));
        assertFalse(limits.bodyTooSlow(10L << 20, 3600 * SECOND), "a 10 MiB body over an hour averages above 1024 B/s");
    }

    @Test
    void should_never_find_a_body_too_slow_without_a_minimum_rate() {
        assertFalse(new ClientLimits(Duration.ofSeconds(1), 0, Duration.ZERO).bodyTooSlow(0, 3600 * SECOND));
    }

    @Test
    void should_refuse_a_zero_head_timeout_and_a_negative_rate() {
        assertThrows(IllegalArgumentException.class, () -> new ClientLimits(Duration.ZERO, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new ClientLimits(Duration.ofSeconds(1), -1, Duration.ZERO));
    }
}
