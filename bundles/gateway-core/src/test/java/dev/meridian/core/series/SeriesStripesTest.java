package dev.meridian.core.series;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The current second's per-thread stripes: exact counts per second and per minute once the threads
 * stop, readers during recording never ahead of what was recorded, the roll-up of a minute whose
 * newest second is still in the stripes, and a dropped series recording nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SeriesStripesTest {

    /** An epoch second that starts a minute. */
    private static final long T0 = 1_796_299_980L;
    private static final Key ORDERS = new Key("orders", "");

    private final SettableClock clock = new SettableClock(T0 * 1000);
    private final SeriesBook book = new SeriesBook(clock);

    /** Records per thread in second {@code k} of the exact test. */
    private static int perThread(int k) {
        return 2_000 + 300 * k;
    }

    private static int status(int i) {
        return 200 + (i % 4) * 100;
    }

    private static CacheOutcome outcome(int i) {
        return CacheOutcome.values()[i % 5];
    }

    @Test
    void should_lay_stripes_out_on_their_own_cache_lines() {
        assertTrue(Stripes.COUNT >= 1 && Stripes.COUNT <= Stripes.MAX, "count " + Stripes.COUNT);
        assertEquals(0, Stripes.COUNT & (Stripes.COUNT - 1), "a power of two");
        assertTrue(Stripes.base(0) >= 16, "a line after the array's header");
        for (int s = 0; s < Stripes.COUNT; s++) {
            assertEquals(s, (Stripes.base(s) - Stripes.PAD) / Stripes.SPAN);
            assertEquals(Stripes.base(s), Stripes.base(s + Stripes.COUNT), "an index is taken modulo the count");
            assertTrue(Stripes.base(s) + Layout.STRIDE + 16 <= (s + 1 < Stripes.COUNT ? Stripes.base(s + 1) : Stripes.LENGTH),
                "a line between stripe " + s + " and what follows");
        }
        assertEquals(0, Stripes.SPAN % 16, "whole lines");
        assertTrue(Stripes.LENGTH * 4 <= Stripes.MAX_BYTES);
    }

    @Test
    void should_count_exactly_per_second_and_minute_what_threads_recorded_at_once() throws Exception {
        int threads = 2 * Stripes.COUNT + 1; // more threads than stripes: some share one
        int seconds = 6;
        long first = T0 + 57; // seconds 57, 58, 59 of one minute, 0, 1, 2 of the next
        Series series = book.series("orders", "");
        CyclicBarrier between = new CyclicBarrier(threads); // every record of a second is done before the next starts
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                writers.add(pool.submit(() -> {
                    for (int k = 0; k < seconds; k++) {
                        between.await();
                        for (int i = 0; i < perThread(k); i++) {
                            series.record(status(i), (i % 1000) * 10_000L, outcome(i), (first + k) * 1000 + i % 1000);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
        }
        clock.set((first + seconds) * 1000);

        List<Frame.Point> points = book.read(Resolution.SECOND, T0, T0 + 900, k -> true).points(ORDERS);

        assertEquals(seconds, points.size());
        long[] minuteRequests = new long[2];
        for (int k = 0; k < seconds; k++) {
            Frame.Point p = points.get(k);
            long n = (long) threads * perThread(k);
            assertEquals(first + k, p.t());
            assertEquals(n, p.requests(), "second " + k);
            assertEquals(n, p.latencyCount(), "second " + k);
            long twos = 0;
            long hits = 0;
            for (int i = 0; i < perThread(k); i++) {
                twos += status(i) == 200 ? 1 : 0;
                hits += outcome(i) == CacheOutcome.HIT ? 1 : 0;
            }
            assertEquals(threads * twos, p.status(2), "second " + k);
            assertEquals(threads * hits, p.cache(CacheOutcome.HIT), "second " + k);
            minuteRequests[k < 3 ? 0 : 1] += n;
        }
        Frame live = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true); // not rolled: sums of the seconds
        assertEquals(List.of(minuteRequests[0], minuteRequests[1]),
            live.points(ORDERS).stream().map(Frame.Point::requests).toList());

        clock.set((T0 + 120 + Series.ROLL_GRACE_SECONDS) * 1000);
        book.roll(clock.millis()); // the newest second, T0 + 62, is still in the stripes

        Frame rolled = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true);
        assertEquals(live, rolled, "the roll-up sums the seconds and the stripes of the newest");
        assertEquals(points, book.read(Resolution.SECOND, T0, T0 + 900, k -> true).points(ORDERS));
    }

    @Test
    void should_roll_a_minute_whose_newest_second_is_still_in_the_stripes_and_fold_it_unchanged() {
        Series s = book.series("orders", "");
        for (int second = 0; second < 60; second += 10) {
            for (int i = 0; i <= second / 10; i++) {
                s.record(200, 1_000_000, CacheOutcome.MISS, (T0 + second) * 1000 + i);
            }
        }
        s.record(503, 4_000_000, CacheOutcome.HIT, (T0 + 59) * 1000 + 999); // second 59: the newest, no turn since
        s.evicted(EvictionReason.SIZE, 3, (T0 + 59) * 1000);
        clock.set((T0 + 60 + Series.ROLL_GRACE_SECONDS) * 1000);
        Frame seconds = book.read(Resolution.SECOND, T0, T0 + 60, k -> true);
        Frame.Point newest = seconds.points(ORDERS).get(seconds.points(ORDERS).size() - 1);
        assertEquals(T0 + 59, newest.t());
        assertEquals(1, newest.requests());
        assertEquals(3, newest.evictions(EvictionReason.SIZE));

        book.roll(clock.millis());

        Frame minutes = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true);
        assertEquals(List.of(T0), minutes.points(ORDERS).stream().map(Frame.Point::t).toList());
        assertEquals(seconds.total(ORDERS), minutes.total(ORDERS), "the minute is the sum of its seconds");
        assertEquals(1 + 2 + 3 + 4 + 5 + 6 + 1, minutes.total(ORDERS).requests());
        assertEquals(1, minutes.total(ORDERS).cache(CacheOutcome.HIT));
        assertEquals(1, minutes.total(ORDERS).status(5));
        assertEquals(3, minutes.total(ORDERS).evictions(EvictionReason.SIZE));

        s.record(200, 1_000_000, CacheOutcome.NONE, (T0 + 61) * 1000); // the turn folds second 59 into its slot
        assertEquals(seconds, book.read(Resolution.SECOND, T0, T0 + 60, k -> true), "folding changes no count");
        assertEquals(1, book.read(Resolution.SECOND, T0 + 60, T0 + 62, k -> true).total(ORDERS).requests());
    }

    @Test
    void should_never_show_a_reader_more_than_was_recorded_nor_less_than_it_showed_before() throws Exception {
        int writers = 3;
        int records = 150_000;
        Series series = book.series("orders", "");
        AtomicLongArray started = new AtomicLongArray(writers); // records begun, set before each record
        AtomicLongArray progress = new AtomicLongArray(writers);
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<Future<?>> ws = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int thread = t;
                ws.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < records; i++) {
                        long now = T0 * 1000 + i / 2 + thread * 41L; // 75 seconds, each thread at its own pace
                        progress.lazySet(thread, now);
                        started.set(thread, i + 1);
                        series.record(status(i), (i % 1000) * 10_000L, outcome(i), now);
                    }
                    return null;
                }));
            }
            Future<Integer> reader = pool.submit(() -> {
                start.await();
                long seenSeconds = 0;
                long seenMinutes = 0;
                int reads = 0;
                do { // at least once, however the threads are scheduled
                    long newest = 0;
                    long slowest = Long.MAX_VALUE;
                    for (int t = 0; t < writers; t++) {
                        newest = Math.max(newest, progress.get(t));
                        slowest = Math.min(slowest, progress.get(t));
                    }
                    clock.set(newest + 1000);
                    book.roll(slowest);
                    Frame.Point s = book.read(Resolution.SECOND, T0 - 60, T0 + 900, k -> true).total(ORDERS);
                    Frame.Point m = book.read(Resolution.MINUTE, T0 - 60, T0 + 900, k -> true).total(ORDERS);
                    long recorded = 0;
                    for (int t = 0; t < writers; t++) {
                        recorded += started.get(t);
                    }
                    for (Frame.Point p : List.of(s, m)) {
                        assertTrue(p.requests() <= recorded, p.requests() + " requests of " + recorded);
                        assertTrue(p.latencyCount() <= recorded, p.latencyCount() + " latencies of " + recorded);
                        assertTrue(p.status(2) + p.status(3) + p.status(4) + p.status(5) <= recorded);
                    }
                    assertTrue(s.requests() >= seenSeconds, s.requests() + " after " + seenSeconds);
                    assertTrue(m.requests() >= seenMinutes, m.requests() + " after " + seenMinutes);
                    seenSeconds = s.requests();
                    seenMinutes = m.requests();
                    reads++;
                    Thread.yield();
                } while (!done.get());
                return reads;
            });
            start.countDown();
            try {
                for (Future<?> w : ws) {
                    w.get();
                }
            } finally {
                done.set(true);
            }
            assertTrue(reader.get() > 0);
        } finally {
            pool.shutdownNow();
        }
        clock.set((T0 + 300) * 1000);
        long total = (long) writers * records;
        assertEquals(total, book.read(Resolution.SECOND, T0 - 60, T0 + 900, k -> true).total(ORDERS).requests());
        book.roll(clock.millis());
        Frame.Point minutes = book.read(Resolution.MINUTE, T0 - 60, T0 + 900, k -> true).total(ORDERS);
        assertEquals(total, minutes.requests());
        assertEquals(total, minutes.latencyCount());
        assertEquals(total / 5, minutes.cache(CacheOutcome.HIT));
    }

    @Test
    void should_record_nothing_once_dropped() {
        Series s = book.series("orders", "");
        s.record(200, 1_000_000, CacheOutcome.HIT, T0 * 1000);
        assertTrue(s.used());

        book.forget("orders");
        s.record(200, 1_000_000, CacheOutcome.HIT, T0 * 1000 + 1);
        s.record(200, 1_000_000, CacheOutcome.HIT, (T0 + 5) * 1000); // a new second: no turn either
        s.evicted(EvictionReason.EXPIRED, 2, (T0 + 5) * 1000);
        clock.set((T0 + 10) * 1000);

        assertFalse(s.used());
        assertEquals(List.of(), s.read(Resolution.SECOND, T0, T0 + 10, T0 + 10));
        assertEquals(Set.of(), book.read(Resolution.SECOND, T0, T0 + 10, k -> true).keys());
        Series again = book.series("orders", "");
        again.record(200, 1_000_000, CacheOutcome.HIT, (T0 + 6) * 1000);
        assertEquals(1, book.read(Resolution.SECOND, T0, T0 + 10, k -> true).total(ORDERS).requests(),
            "a new series for the key starts from nothing");
    }
}
