package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.core.CanaryMeter;
import dev.meridian.model.CanaryPolicy;
import dev.meridian.model.DefinitionException;

/**
 * The canary's verdict: too few requests wait, one unlucky error does not roll a good change
 * back, 10% of errors does within the first hundred requests, a p99 over the limit does once both
 * sides have a hundred requests and the difference is above the floor.
 */
class CanaryJudgeTest {

    private static CanaryPolicy policy() {
        try {
            return CanaryPolicy.parse(Map.of("canary", "5%"));
        } catch (DefinitionException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code n} answers, {@code errors} of them 5xx, each taking {@code millis}. */
    private static CanaryMeter.Window window(long n, long errors, long millis) {
        long[] latency = new long[CanaryMeter.LATENCY_BUCKETS];
        latency[bucketOf(millis)] = n;
        return new CanaryMeter.Window(n, errors, latency, n, errors);
    }

    private static int bucketOf(long millis) {
        CanaryMeter meter = new CanaryMeter(java.time.Duration.ofSeconds(10));
        long now = System.nanoTime() + 6_000_000_000L; // past the meter's latency warm-up
        meter.canary().record(200, millis * 1_000_000, now);
        long[] l = meter.canary().window(now).latency();
        for (int i = 0; i < l.length; i++) {
            if (l[i] > 0) {
                return i;
            }
        }
        throw new AssertionError();
    }

    @Test
    void should_wait_for_the_minimum_of_canary_requests() {
        CanaryJudge.Verdict v = CanaryJudge.judge(policy(), window(1000, 0, 2), window(49, 49, 2));
        assertEquals(CanaryJudge.Kind.WAITING, v.kind());
        assertTrue(v.reason().startsWith("49 of 50 canary requests"), v.reason());
    }

    @Test
    void should_pass_a_good_change_with_an_unlucky_error_and_breach_one_failing_a_tenth() {
        assertEquals(CanaryJudge.Kind.PASSING, CanaryJudge.judge(policy(), window(1000, 0, 2), window(50, 1, 2)).kind());
        assertEquals(CanaryJudge.Kind.PASSING, CanaryJudge.judge(policy(), window(20000, 0, 2), window(1000, 15, 2)).kind(),
            "1.5% against a 1pp limit over 1,000 requests is within three sigma");
        CanaryJudge.Verdict bad = CanaryJudge.judge(policy(), window(1000, 0, 2), window(60, 6, 2));
        assertEquals(CanaryJudge.Kind.BREACHED, bad.kind());
        assertFalse(bad.latency(), "errors: acted on at once");
        assertTrue(bad.reason().contains("6 of 60 canary requests failed"), bad.reason());
        assertEquals(CanaryJudge.Kind.PASSING, CanaryJudge.judge(policy(), window(1000, 100, 2), window(100, 10, 2)).kind(),
            "as bad as the stable side: not the change's fault");
    }

    @Test
    void should_breach_on_p99_only_with_enough_requests_and_above_the_floor() {
        CanaryJudge.Verdict slow = CanaryJudge.judge(policy(), window(10_000, 0, 10), window(1000, 0, 30));
        assertEquals(CanaryJudge.Kind.BREACHED, slow.kind());
        assertTrue(slow.latency(), "a p99 breach: the watch waits for it to persist");
        assertEquals(CanaryJudge.Kind.PASSING, CanaryJudge.judge(policy(), window(10_000, 0, 10), window(999, 0, 30)).kind(),
            "fewer than 1,000 canary latencies: no p99 verdict");
        assertEquals(CanaryJudge.Kind.PASSING, CanaryJudge.judge(policy(), window(10_000, 0, 1), window(1000, 0, 2)).kind(),
            "twice the stable p99 but only 1 ms more");
    }
}
