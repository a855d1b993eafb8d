package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.meridian.model.UpstreamTargets.CircuitBreaker;
import dev.meridian.model.UpstreamTargets.HealthCheck;

class TargetStateTest {

    private static final long S = 1_000_000_000L;
    private static final CircuitBreaker NO_BREAKER = CircuitBreaker.NONE;
    private static final CircuitBreaker BREAKER = new CircuitBreaker(50, Duration.ofSeconds(10), Duration.ofSeconds(5), 10);
    private static final HealthCheck CHECK = new HealthCheck("/health", Duration.ofSeconds(2), 2, 3);

    private static void outcome(TargetState s, boolean failed, long now, CircuitBreaker b) {
        assertTrue(s.acquire(now, b));
        s.end(failed, now, b);
    }

    @Test
    void should_eject_after_consecutive_failures_for_a_doubling_time() {
        TargetState s = new TargetState("http://a");
        long t = 1_000 * S;
        outcome(s, true, t, NO_BREAKER);
        outcome(s, true, t, NO_BREAKER);
        outcome(s, false, t, NO_BREAKER); // a success in between resets the count
        outcome(s, true, t, NO_BREAKER);
        outcome(s, true, t, NO_BREAKER);
        assertTrue(s.available(t, NO_BREAKER));
        outcome(s, true, t, NO_BREAKER);
        assertFalse(s.available(t, NO_BREAKER));
        assertEquals(1, s.ejections.get());
        assertFalse(s.available(t + 9 * S, NO_BREAKER));
        assertTrue(s.available(t + 10 * S, NO_BREAKER));
        // fails again at once after its return: ejected for twice as long
        long back = t + 10 * S;
        for (int i = 0; i < TargetState.EJECT_AFTER; i++) {
            outcome(s, true, back, NO_BREAKER);
        }
        assertFalse(s.available(back + 19 * S, NO_BREAKER));
        assertTrue(s.available(back + 20 * S, NO_BREAKER));
        assertEquals(2, s.ejections.get());
        assertEquals(9, s.requests.sum());
        assertEquals(8, s.failures.sum());
        assertEquals(0, s.inFlight.get());
    }

    @Test
    void should_turn_unhealthy_and_healthy_after_the_thresholds_in_a_row() {
        TargetState s = new TargetState("http://a");
        long t = 0;
        s.probed(false, CHECK);
        assertTrue(s.healthy(), "1 failure of 2");
        s.probed(true, CHECK);
        s.probed(false, CHECK);
        assertTrue(s.healthy(), "the success reset the count");
        s.probed(false, CHECK);
        assertFalse(s.healthy());
        assertFalse(s.available(t, NO_BREAKER));
        s.probed(true, CHECK);
        s.probed(true, CHECK);
        assertFalse(s.healthy(), "2 successes of 3");
        s.probed(true, CHECK);
        assertTrue(s.healthy());
        assertTrue(s.available(t, NO_BREAKER));
    }

    @Test
    void should_bring_an_ejected_target_back_early_after_healthy_probes_since_the_ejection() {
        TargetState s = new TargetState("http://a");
        long t = 1_000 * S;
        s.probed(true, CHECK);
        s.probed(true, CHECK);
        for (int i = 0; i < TargetState.EJECT_AFTER; i++) {
            outcome(s, true, t, NO_BREAKER);
        }
        assertFalse(s.available(t, NO_BREAKER));
        s.probed(true, CHECK);
        s.probed(true, CHECK);
        assertFalse(s.available(t + S, NO_BREAKER), "successes before the ejection do not count");
        s.probed(true, CHECK);
        assertTrue(s.available(t + S, NO_BREAKER));
    }

    @Test
    void should_open_the_breaker_at_the_ratio_after_the_minimum_then_half_open_with_one_trial() {
        TargetState s = new TargetState("http://a");
        long t = 1_000 * S;
        for (int i = 0; i < 4; i++) {
            outcome(s, false, t, BREAKER);
            outcome(s, true, t, BREAKER);
        }
        assertEquals(0, s.breakerState(), "8 requests: under the minimum of 10");
        outcome(s, false, t, BREAKER);
        assertEquals(0, s.breakerState(), "4 of 9 failed");
        outcome(s, true, t, BREAKER);
        assertEquals(1, s.breakerState(), "5 of 10 failed: 50%");
        assertFalse(s.available(t + 4 * S, BREAKER));
        assertFalse(s.acquire(t + 4 * S, BREAKER));
        long later = t + 5 * S;
        assertTrue(s.available(later, BREAKER));
        assertTrue(s.acquire(later, BREAKER), "the trial");
        assertFalse(s.acquire(later, BREAKER), "one trial at a time");
        assertFalse(s.available(later, BREAKER));
        s.end(true, later, BREAKER);
        assertEquals(1, s.breakerState(), "the trial failed: open again");
        long after = later + 5 * S;
        assertTrue(s.acquire(after, BREAKER));
        s.end(false, after, BREAKER);
        assertEquals(0, s.breakerState(), "the trial succeeded: closed");
        assertEquals(2, s.breakerOpenings());
    }

    @Test
    void should_forget_breaker_outcomes_older_than_the_window() {
        TargetState s = new TargetState("http://a");
        long t = 1_000 * S;
        for (int i = 0; i < 9; i++) {
            outcome(s, true, t, BREAKER);
        }
        outcome(s, false, t + 11 * S, BREAKER); // the nine failures are out of the 10 s window
        assertEquals(0, s.breakerState());
    }
}
