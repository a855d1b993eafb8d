package dev.meridian.core.series;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * What a record costs and what a series holds, printed (never asserted as a timing): ns per
 * {@link Series#record} on one thread and on 4 threads sharing one series (the contended case: a
 * hot API), and the bytes per series, computed and measured on the heap.
 */
class SeriesFiguresTest {

    private static final long T0 = 1_796_299_980L;
    private static final int RECORDS = 5_000_000;

    @Test
    void should_print_the_cost_of_a_record_and_the_bytes_per_series() throws Exception {
        SeriesBook book = new SeriesBook(new SettableClock(T0 * 1000));
        Series series = book.series("orders", "");
        for (int threads : new int[] {1, 4}) {
            double nanos = 0;
            for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT up
                nanos = run(series, threads);
            }
            System.out.printf("series: record, %d thread(s) on one series, %,d records each: %.1f ns per record%n",
                threads, RECORDS, nanos);
        }

        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        SeriesBook fresh = new SeriesBook(new SettableClock(T0 * 1000));
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        for (int i = 0; i < SeriesBook.MAX_SERIES; i++) {
            fresh.series("api-" + i, "").record(200, 1_000_000, CacheOutcome.HIT, T0 * 1000);
        }
        System.gc();
        long measured = (memory.getHeapMemoryUsage().getUsed() - before) / SeriesBook.MAX_SERIES;
        assertEquals(SeriesBook.MAX_SERIES, fresh.keys().size());
        System.out.printf("series: %d bytes per slot, %,d bytes per series (%.2f MiB; measured on the heap: ~%,d),"
            + " node worst case %d series: %.1f MiB%n", Series.BYTES_PER_SLOT, Series.BYTES, Series.BYTES / 1048576.0,
            measured, SeriesBook.MAX_SERIES + 1, (SeriesBook.MAX_SERIES + 1) * (double) Series.BYTES / 1048576.0);
    }

    /** Nanoseconds per record with {@code threads} threads recording {@link #RECORDS} each, the clock moving. */
    private static double run(Series series, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Long>> took = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                took.add(pool.submit(() -> {
                    start.await();
                    long begin = System.nanoTime();
                    for (int i = 0; i < RECORDS; i++) {
                        // 10,000 records per second of the clock: a turn every 10,000
                        series.record(200, (i & 1023) * 3_000L, CacheOutcome.HIT, T0 * 1000 + i / 10);
                    }
                    return System.nanoTime() - begin;
                }));
            }
            start.countDown();
            long sum = 0;
            for (Future<Long> f : took) {
                sum += f.get();
            }
            return (double) sum / threads / RECORDS;
        } finally {
            pool.shutdownNow();
        }
    }
}
