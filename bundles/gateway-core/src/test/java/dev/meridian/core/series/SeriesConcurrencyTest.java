package dev.meridian.core.series;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads recording at once while their clocks cross second and minute boundaries (each at
 * its own pace, so late answers are common), a reader and the roll-up running alongside: every
 * count lands exactly once, in the seconds and in the minutes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SeriesConcurrencyTest {

    private static final long T0 = 1_796_299_980L;
    private static final int THREADS = 8;
    private static final int RECORDS = 200_000;
    /** Each thread's clock moves a millisecond every this many records: 200 seconds in all. */
    private static final int RECORDS_PER_MILLI = 1;

    @Test
    void should_count_every_record_of_many_threads_across_second_boundaries() throws Exception {
        SettableClock clock = new SettableClock(T0 * 1000);
        SeriesBook book = new SeriesBook(clock);
        Series shared = book.series("orders", "");
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicLongArray progress = new AtomicLongArray(THREADS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < RECORDS; i++) {
                        long now = T0 * 1000 + i / RECORDS_PER_MILLI + thread * 37L;
                        progress.lazySet(thread, now);
                        shared.record(200 + (i % 4) * 100, (i % 1000) * 10_000L, CacheOutcome.values()[i % 5], now);
                        if (i % 1000 == 0) {
                            shared.evicted(EvictionReason.EXPIRED, 2, now);
                        }
                    }
                    return null;
                }));
            }
            Future<?> roller = pool.submit(() -> {
                start.await();
                for (int i = 0; i < 2_000; i++) {
                    // reads at the newest writer's time; the roll-up at the slowest's: a record lands
                    // in the newest second, never before its own, so minutes before it are complete
                    long newest = 0;
                    long slowest = Long.MAX_VALUE;
                    for (int t = 0; t < THREADS; t++) {
                        newest = Math.max(newest, progress.get(t));
                        slowest = Math.min(slowest, progress.get(t));
                    }
                    clock.set(newest);
                    book.roll(slowest);
                    book.read(Resolution.MINUTE, T0 - 60, T0 + 3600, k -> true);
                    book.read(Resolution.SECOND, T0 - 60, T0 + 3600, k -> true);
                }
                return null;
            });
            start.countDown();
            for (Future<?> w : writers) {
                w.get();
            }
            roller.get();
        } finally {
            pool.shutdownNow();
        }
        clock.set((T0 + 600) * 1000);
        long total = (long) THREADS * RECORDS;

        Frame.Point seconds = book.read(Resolution.SECOND, T0, T0 + 900, k -> true).total(new Key("orders", ""));
        book.roll(clock.millis());
        Frame.Point minutes = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true).total(new Key("orders", ""));

        for (Frame.Point p : List.of(seconds, minutes)) {
            assertEquals(total, p.requests());
            assertEquals(total / 4, p.status(2));
            assertEquals(total / 4, p.status(5));
            assertEquals(total / 5, p.cache(CacheOutcome.HIT));
            assertEquals(total / 5, p.cache(CacheOutcome.BYPASS));
            assertEquals(total, p.latencyCount());
            assertEquals(THREADS * (RECORDS / 1000) * 2L, p.evictions(EvictionReason.EXPIRED));
        }
        assertEquals(seconds.latency()[Layout.bucket(5_000)], minutes.latency()[Layout.bucket(5_000)]);
    }
}
