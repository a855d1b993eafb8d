package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void should_refuse_what_would_pass_the_limit_and_take_it_again_once_released() {
        MemoryBudget b = new MemoryBudget(100);
        assertTrue(b.reserve(60));
        assertFalse(b.reserve(41), "60 + 41 > 100");
        assertEquals(60, b.used(), "a refusal reserves nothing");
        assertTrue(b.reserve(40));
        b.release(60);
        assertEquals(40, b.used());
        assertTrue(b.reserve(60));
        assertEquals(100, b.peak());
    }

    @Test
    void should_never_pass_the_limit_under_concurrent_reservations() throws Exception {
        MemoryBudget b = new MemoryBudget(10_000);
        AtomicLong over = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    if (b.reserve(64)) {
                        if (b.used() > 10_000) {
                            over.incrementAndGet();
                        }
                        b.release(64);
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(0, over.get());
        assertEquals(0, b.used());
        assertTrue(b.peak() <= 10_000);
    }

    @Test
    void should_refuse_a_negative_limit() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget(-1));
    }
}
