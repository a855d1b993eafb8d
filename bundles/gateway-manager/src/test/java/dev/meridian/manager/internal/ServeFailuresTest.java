package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ServeFailuresTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void should_log_a_failure_repeated_every_second_once() {
        ServeFailures f = new ServeFailures();
        long t = 1_000 * SECOND;

        assertEquals("secret 'x' not found", f.failed(7, "secret 'x' not found", t));
        for (int i = 1; i <= 300; i++) {
            assertNull(f.failed(7, "secret 'x' not found", t + i * SECOND), "attempt " + i);
        }
    }

    @Test
    void should_log_again_when_the_reason_or_the_revision_changes() {
        ServeFailures f = new ServeFailures();
        long t = -5 * SECOND; // nanoTime may be negative: only differences count

        assertEquals("a", f.failed(7, "a", t));
        assertEquals("b", f.failed(7, "b", t + SECOND));
        assertNull(f.failed(7, "b", t + 2 * SECOND));
        assertEquals("b", f.failed(8, "b", t + 3 * SECOND));
        assertEquals("a", f.failed(8, "a", t + 4 * SECOND));
    }

    @Test
    void should_log_a_lasting_failure_again_after_the_quiet_interval_with_the_count() {
        ServeFailures f = new ServeFailures();
        long t = 0;

        f.failed(7, "a", t);
        assertNull(f.failed(7, "a", t + SECOND));
        assertNull(f.failed(7, "a", t + 2 * SECOND));
        assertNull(f.failed(7, "a", t + ServeFailures.QUIET_NANOS - 1));

        assertEquals("still failing after 3 more attempts in 10 min: a", f.failed(7, "a", t + ServeFailures.QUIET_NANOS));
        assertNull(f.failed(7, "a", t + ServeFailures.QUIET_NANOS + SECOND));
    }

    @Test
    void should_say_once_that_a_failed_revision_is_served_and_log_its_next_failure_again() {
        ServeFailures f = new ServeFailures();

        assertEquals(-1, f.served(6), "nothing failed");
        f.failed(7, "a", 0);
        assertEquals(-1, f.served(6), "an older revision served: revision 7 still fails");
        assertEquals(7, f.served(7));
        assertEquals(-1, f.served(7), "said once");

        assertEquals("a", f.failed(9, "a", SECOND));
        assertEquals(9, f.served(10), "a newer revision served ends it too");
        assertEquals("a", f.failed(9, "a", 2 * SECOND), "after it was served, the same failure is news again");
    }
}
