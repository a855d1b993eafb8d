package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node's fast tier: one byte budget for every API, least recently used out first (CLOCK). */
@Timeout(20)
class LocalTierTest {

    @Test
    void should_stay_within_its_bytes_and_count_what_it_evicts() {
        LocalTier tier = new LocalTier(100_000);
        CacheStats stats = new CacheStats();
        LocalTier.Segment s = tier.segment(stats);
        for (int i = 0; i < 1_000; i++) {
            s.put("k" + i, "v" + i, 1_000);
        }
        assertTrue(tier.bytes() <= 100_000, "bytes " + tier.bytes());
        assertTrue(s.size() <= 100 && s.size() >= 90, "entries " + s.size());
        assertEquals(1_000 - s.size(), ((Number) stats.toTree().get("localDropped")).longValue());
        assertNotNull(s.get("k999"), "the newest stays");
    }

    @Test
    void should_keep_what_is_used_and_evict_what_is_not() {
        LocalTier tier = new LocalTier(50_000);
        LocalTier.Segment s = tier.segment(new CacheStats());
        for (int i = 0; i < 40; i++) {
            s.put("old" + i, i, 1_000);
        }
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 10; i++) {
                s.get("old" + i); // hot
            }
            for (int i = 0; i < 10; i++) {
                s.put("new" + round + "-" + i, i, 1_000);
            }
        }
        for (int i = 0; i < 10; i++) {
            assertNotNull(s.get("old" + i), "hot entry " + i + " survived");
        }
        int coldLeft = 0;
        for (int i = 10; i < 40; i++) {
            coldLeft += s.get("old" + i) == null ? 0 : 1;
        }
        assertEquals(0, coldLeft, "the cold ones went first");
    }

    @Test
    void should_share_one_budget_between_segments_and_refuse_a_giant() {
        LocalTier tier = new LocalTier(80_000);
        LocalTier.Segment a = tier.segment(new CacheStats());
        LocalTier.Segment b = tier.segment(new CacheStats());
        for (int i = 0; i < 100; i++) {
            a.put("a" + i, i, 1_000);
            b.put("b" + i, i, 1_000);
        }
        assertTrue(tier.bytes() <= 80_000);
        assertEquals(tier.entries(), a.size() + b.size());
        b.put("giant", "x", 20_000);
        assertNull(b.get("giant"), "heavier than an eighth of the budget: not kept here");
    }

    @Test
    void should_account_replacements_removals_and_clears() {
        LocalTier tier = new LocalTier(1 << 20);
        LocalTier.Segment s = tier.segment(new CacheStats());
        for (int i = 0; i < 5_000; i++) {
            s.put("same", i, 100); // replaced over and over: dead nodes are dropped from the ring
        }
        assertEquals(100, tier.bytes());
        assertEquals(4_999, ((Integer) s.get("same")).intValue());
        s.put("other", 1, 50);
        s.remove("other");
        assertEquals(100, tier.bytes());
        assertEquals(1, s.removeIf(v -> true));
        assertEquals(0, tier.bytes());
        s.put("again", 1, 10);
        s.clear();
        assertEquals(0, tier.bytes());
        assertEquals(0, tier.entries());
    }

    @Test
    void should_stay_consistent_under_concurrent_puts_gets_and_removes() throws Exception {
        LocalTier tier = new LocalTier(200_000);
        List<LocalTier.Segment> segments = List.of(tier.segment(new CacheStats()), tier.segment(new CacheStats()));
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int i = 0; i < 50_000; i++) {
                    LocalTier.Segment s = segments.get(r.nextInt(2));
                    String k = "k" + r.nextInt(2_000);
                    switch (r.nextInt(3)) {
                        case 0 -> s.put(k, i, 100 + r.nextInt(900));
                        case 1 -> s.get(k);
                        default -> s.remove(k);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        long sum = 0;
        for (LocalTier.Segment s : segments) {
            for (int i = 0; i < 2_000; i++) {
                if (s.get("k" + i) != null) {
                    sum++;
                }
            }
        }
        assertEquals(tier.entries(), sum, "entries counted = entries present");
        assertTrue(tier.bytes() <= 200_000 + 4 * 1_000, "bytes " + tier.bytes());
    }

    @Test
    void should_sweep_in_steps_only_what_the_test_accepts_at_the_visit_and_count_it() {
        LocalTier tier = new LocalTier(10_000_000);
        LocalTier.Segment s = tier.segment(new CacheStats());
        for (int i = 0; i < 1_000; i++) {
            s.put("k" + i, i, 100);
        }
        java.util.concurrent.atomic.AtomicInteger visits = new java.util.concurrent.atomic.AtomicInteger();
        dev.meridian.core.StripedCounter counted = new dev.meridian.core.StripedCounter();
        java.util.concurrent.atomic.AtomicInteger limit = new java.util.concurrent.atomic.AtomicInteger(-1);
        LocalTier.Sweep sweep = s.sweep(v -> {
            visits.incrementAndGet();
            return (Integer) v % 2 == 0 || (Integer) v < limit.get();
        }, counted);
        int steps = 0;
        int removed = 0;
        while (!sweep.done()) {
            int before = visits.get();
            removed += sweep.step(64);
            assertTrue(visits.get() - before <= 64, "a step visits at most its slice: " + (visits.get() - before));
            steps++;
            if (steps == 3) {
                limit.set(1_000); // the world changed mid-pass: what is visited from here on is judged by it
            }
        }
        assertEquals(1_000, visits.get(), "every entry visited once");
        assertEquals(16, steps);
        assertEquals(removed, counted.sum());
        assertEquals(1_000 - removed, s.size());
        assertEquals(s.size(), tier.entries());
        assertEquals(100L * s.size(), tier.bytes(), "bytes given back");
        for (int i = 0; i < 1_000; i += 2) {
            assertNull(s.get("k" + i), "even ones are always removed");
        }
        assertTrue(s.size() > 0 && s.size() <= 3 * 64, "only odd ones visited before the change stay: " + s.size());
        assertEquals(0, s.sweep(v -> true, null).step(0), "a step of nothing removes nothing");
    }
}
