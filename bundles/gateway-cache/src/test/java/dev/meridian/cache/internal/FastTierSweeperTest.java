package dev.meridian.cache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.cache.CacheStats;
import dev.meridian.cache.LocalTier;

/** The fast tier's sweep after an invalidation: off the caller's thread, in paced slices, again when asked during a pass. */
@Timeout(20)
class FastTierSweeperTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final LocalTier tier = new LocalTier(1L << 30);
    private final LocalTier.Segment segment = tier.segment(new CacheStats());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private void fill(int n) {
        for (int i = 0; i < n; i++) {
            segment.put("k" + i, i, 100);
        }
    }

    @Test
    void should_sweep_on_the_timer_in_slices_with_rests_and_not_on_the_callers_thread() throws Exception {
        fill(5_000);
        AtomicInteger passes = new AtomicInteger();
        FastTierSweeper sweeper = new FastTierSweeper(timer, () -> {
            passes.incrementAndGet();
            return List.of(segment.sweep(v -> (Integer) v % 5 != 0, null));
        }, 100);
        CountDownLatch hold = new CountDownLatch(1);
        timer.execute(() -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sweeper.request();
        sweeper.request(); // a second invalidation before the pass started: one pass serves both
        assertEquals(5_000, segment.size(), "nothing swept on the caller's thread");
        long started = System.nanoTime();
        hold.countDown();
        // between slices the timer is free: a task submitted now runs before the pass ends
        AtomicInteger sizeWhenOtherTaskRan = new AtomicInteger(-1);
        timer.schedule(() -> sizeWhenOtherTaskRan.set(segment.size()), 5, TimeUnit.MILLISECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> segment.size() == 1_000);
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs >= 49, "50 slices, each followed by a rest of at least 1 ms: " + tookMs + " ms");
        assertTrue(sizeWhenOtherTaskRan.get() > 1_000, "another timer task ran mid-pass: " + sizeWhenOtherTaskRan.get());
        assertEquals(1, passes.get(), "requests before a pass starts are one pass");
        assertEquals(1_000, tier.entries());
        for (int i = 0; i < 5_000; i += 5) {
            assertNotNull(segment.get("k" + i), "what the test does not accept stays");
        }
        assertNull(segment.get("k1"));
    }

    @Test
    void should_run_another_pass_when_asked_during_one() {
        fill(1_000);
        AtomicInteger passes = new AtomicInteger();
        FastTierSweeper[] sweeper = new FastTierSweeper[1];
        sweeper[0] = new FastTierSweeper(timer, () -> {
            int pass = passes.incrementAndGet();
            int below = pass == 1 ? 500 : 1_000;
            if (pass == 1) {
                sweeper[0].request(); // an invalidation arrives as the first pass begins: it covers more
            }
            return List.of(segment.sweep(v -> (Integer) v < below, null));
        }, 64);
        sweeper[0].request();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> segment.size() == 0);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> passes.get() == 2);
        assertEquals(0, tier.bytes());
    }
}
