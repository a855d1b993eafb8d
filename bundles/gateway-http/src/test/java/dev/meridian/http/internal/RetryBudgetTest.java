package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static final long S = 1_000_000_000L;

    @Test
    void should_allow_retries_up_to_the_share_of_recent_requests() {
        RetryBudget b = new RetryBudget();
        long t = 5_000 * S;
        for (int i = 0; i < 100; i++) {
            b.request(t);
        }
        int granted = 0;
        for (int i = 0; i < 100; i++) {
            if (b.tryRetry(t, 20)) {
                granted++;
            }
        }
        assertEquals(20, granted);
        assertEquals(20, b.granted());
        assertEquals(80, b.refused());
    }

    @Test
    void should_allow_a_few_retries_to_a_quiet_api_and_forget_after_the_window() {
        RetryBudget b = new RetryBudget();
        long t = 5_000 * S;
        b.request(t);
        for (int i = 0; i < RetryBudget.MIN_RETRIES; i++) {
            assertTrue(b.tryRetry(t, 20));
        }
        assertFalse(b.tryRetry(t, 20));
        long later = t + RetryBudget.WINDOW_SECONDS * S;
        assertTrue(b.tryRetry(later, 20), "the window moved on");
    }

    @Test
    void should_refuse_every_retry_beyond_the_minimum_with_a_zero_budget() {
        RetryBudget b = new RetryBudget();
        long t = 5_000 * S;
        for (int i = 0; i < 1000; i++) {
            b.request(t);
        }
        int granted = 0;
        for (int i = 0; i < 50; i++) {
            if (b.tryRetry(t, 0)) {
                granted++;
            }
        }
        assertEquals(RetryBudget.MIN_RETRIES, granted);
    }
}
