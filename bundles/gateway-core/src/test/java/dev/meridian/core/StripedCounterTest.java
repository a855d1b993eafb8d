package dev.meridian.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StripedCounterTest {

    @Test
    void should_count_exactly_what_many_threads_add_at_once() throws Exception {
        StripedCounter counter = new StripedCounter();
        int threads = 2 * StripedCounter.STRIPES + 1; // more threads than stripes: some share one
        int each = 50_000;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int n = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                    counter.increment();
                    counter.add(n);
                    counter.decrement();
                }
            });
            thread.start();
            started.add(thread);
        }
        long expected = 0;
        for (int t = 0; t < threads; t++) {
            expected += (long) t * each;
        }
        for (Thread thread : started) {
            while (thread.isAlive()) {
                long seen = counter.sum();
                assertTrue(seen >= 0 && seen <= expected + threads, "a sum read while adding stays in range: " + seen);
                thread.join(1);
            }
        }
        assertEquals(expected, counter.sum());
        assertEquals(Long.toString(expected), counter.toString());
    }

    @Test
    void should_take_negative_additions_and_start_at_zero() {
        StripedCounter counter = new StripedCounter();
        assertEquals(0, counter.sum());
        counter.add(5);
        counter.add(-7);
        counter.increment();
        assertEquals(-1, counter.sum());
    }

    @Test
    void should_have_a_power_of_two_of_stripes() {
        int s = StripedCounter.STRIPES;
        assertTrue(s >= 2 && s <= 8 && Integer.bitCount(s) == 1, "stripes: " + s);
        assertTrue(s >= Math.min(8, 2 * Runtime.getRuntime().availableProcessors()), "at least twice the processors, up to 8");
    }

    @Test
    void should_give_a_thread_one_stripe_in_range_and_threads_made_together_distinct_ones() throws Exception {
        int mine = StripedCounter.stripe();
        assertTrue(mine >= 0 && mine < StripedCounter.STRIPES, "stripe " + mine);
        for (int i = 0; i < 1000; i++) {
            assertEquals(mine, StripedCounter.stripe(), "a thread's stripe never moves");
        }
        // threads created one after the other (a pool's) have consecutive ids: distinct stripes
        int[] seen = new int[StripedCounter.STRIPES];
        Thread[] threads = new Thread[StripedCounter.STRIPES];
        long firstId = -1;
        boolean consecutive = true;
        for (int t = 0; t < threads.length; t++) {
            int n = t;
            threads[t] = new Thread(() -> seen[n] = StripedCounter.stripe());
            @SuppressWarnings("deprecation") // threadId() is Java 19
            long id = threads[t].getId();
            consecutive &= firstId < 0 || id == firstId + t;
            if (firstId < 0) {
                firstId = id;
            }
        }
        for (Thread thread : threads) {
            thread.start();
            thread.join(10_000);
        }
        if (consecutive) { // another thread of the JVM may take an id in between: then nothing to check
            assertEquals(StripedCounter.STRIPES, java.util.Arrays.stream(seen).distinct().count(),
                "stripes " + java.util.Arrays.toString(seen));
        }
    }
}
