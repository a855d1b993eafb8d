package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private static final long MS = 1_000_000L;
    private final LoginThrottle throttle = new LoginThrottle();

    @Test
    void should_let_the_first_five_failures_through_then_double_the_wait_up_to_four_seconds() {
        long now = 0;
        for (int i = 1; i <= LoginThrottle.FREE; i++) {
            assertEquals(0, throttle.failed("10.0.0.1", now));
            assertEquals(0, throttle.waitNanos("10.0.0.1", now));
        }
        long[] expectedMs = {250, 500, 1000, 2000, 4000, 4000, 4000};
        for (long e : expectedMs) {
            long closed = throttle.failed("10.0.0.1", now);
            assertEquals(e * MS, closed);
            assertEquals(e * MS, throttle.waitNanos("10.0.0.1", now));
            assertEquals(0, throttle.waitNanos("10.0.0.1", now + closed), "open again once the wait is over");
            now += closed;
        }
    }

    @Test
    void should_not_slow_another_address() {
        for (int i = 0; i < 20; i++) {
            throttle.failed("10.0.0.1", 0);
        }
        assertTrue(throttle.waitNanos("10.0.0.1", 0) > 0);
        assertEquals(0, throttle.waitNanos("10.0.0.2", 0));
        assertEquals(0, throttle.failed("10.0.0.2", 0));
    }

    @Test
    void should_forget_failures_after_a_quiet_minute_or_a_success() {
        for (int i = 0; i < 10; i++) {
            throttle.failed("10.0.0.1", 0);
        }
        assertEquals(0, throttle.failed("10.0.0.1", LoginThrottle.FORGET_NANOS + 1), "counting starts again");
        for (int i = 0; i < 10; i++) {
            throttle.failed("10.0.0.3", 0);
        }
        throttle.succeeded("10.0.0.3");
        assertEquals(0, throttle.waitNanos("10.0.0.3", 0));
        assertEquals(0, throttle.failed("10.0.0.3", 0));
    }

    @Test
    void should_bound_its_memory_whatever_the_number_of_addresses() {
        for (int i = 0; i < LoginThrottle.MAX_ADDRESSES * 3; i++) {
            throttle.failed("a" + i, 0);
        }
        assertTrue(throttle.tracked() <= LoginThrottle.MAX_ADDRESSES, "tracked " + throttle.tracked());
        for (int i = 0; i < 10; i++) {
            throttle.failed("last", 0);
        }
        assertTrue(throttle.waitNanos("last", 0) > 0);
    }

    @Test
    void should_key_an_address_the_same_from_a_servlet_and_from_a_socket_address() {
        assertEquals("127.0.0.2", LoginThrottle.address("127.0.0.2"));
        assertEquals("127.0.0.2", LoginThrottle.address("/127.0.0.2:50123"));
        assertEquals("127.0.0.2", LoginThrottle.address("localhost/127.0.0.2:50123"));
        assertEquals("0:0:0:0:0:0:0:1", LoginThrottle.address("/[0:0:0:0:0:0:0:1]:50123"));
        assertEquals("0:0:0:0:0:0:0:1", LoginThrottle.address("0:0:0:0:0:0:0:1"));
        assertEquals("0:0:0:0:0:0:0:1", LoginThrottle.address("[0:0:0:0:0:0:0:1]"));
    }
}
