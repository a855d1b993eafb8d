package dev.meridian.core;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A counter the request threads add to at once without sharing a cache line: one cell per
 * stripe, each on a 64-byte line of its own, a thread's stripe picked from its id. Read by
 * summing the cells (not an atomic snapshot across cells, like {@link
 * java.util.concurrent.atomic.LongAdder#sum()}).
 *
 * <p>Why not {@code LongAdder}: it spreads threads over cells only after a compare-and-set
 * failed, and two threads that take turns on one cell rarely fail one; they then share the cell
 * for good, and each increment pulls its line from the other core. Measured on the cache-hit path
 * (two Jetty selector threads on two cores, JFR): two such adders, {@code ApiMetrics}' and the hit
 * counter, took 4% of all samples in {@code Striped64$Cell.cas}. Here a thread's stripe is its id
 * modulo {@link #STRIPES} (no lookup, no state): threads created together (Jetty's selector
 * threads, started with the pool) have consecutive ids and so distinct stripes. The stripe never
 * moves: two busy threads whose ids meet on one stripe (any two of a pool's threads, by chance one
 * time in {@link #STRIPES}) are still counted exactly, only at the cost this class exists to avoid.
 *
 * <p>Memory: {@link #STRIPES} lines, 64 bytes each, plus one line of padding (320 bytes with four
 * stripes, 576 with eight): {@code ApiMetrics}' 21 counters take 6.7 KiB per API and shape with four
 * stripes (12 KiB with eight), where idle {@code LongAdder}s took about 0.5 KiB.
 */
public final class StripedCounter {

    /** Longs of a 64-byte line. */
    private static final int LINE = 8;
    /** Stripes: twice the processors rounded up to a power of two, from 2 to 8. */
    public static final int STRIPES = Math.max(2, Math.min(8,
        Integer.highestOneBit(Math.max(1, 2 * Runtime.getRuntime().availableProcessors() - 1)) << 1));

    /** Cell {@code i} at {@code LINE * (i + 1)}: a line of padding before the first, none shares a line. */
    private final AtomicLongArray cells = new AtomicLongArray(LINE * (STRIPES + 1));

    /** Adds one. */
    public void increment() {
        cells.getAndIncrement(cell());
    }

    /** Subtracts one. */
    public void decrement() {
        cells.getAndDecrement(cell());
    }

    /** Adds {@code x} (may be negative). */
    public void add(long x) {
        cells.getAndAdd(cell(), x);
    }

    /** The sum of every cell. */
    public long sum() {
        long sum = 0;
        for (int i = 1; i <= STRIPES; i++) {
            sum += cells.get(LINE * i);
        }
        return sum;
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }

    /**
     * The calling thread's stripe, from 0 to {@link #STRIPES} - 1: its id modulo the stripes, so it
     * never moves. Other striped structures (a series' per-second counters) use it too, so that one
     * thread writes to the same stripe index everywhere.
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is Java 19; the same value
    public static int stripe() {
        return (int) Thread.currentThread().getId() & (STRIPES - 1);
    }

    private static int cell() {
        return LINE * (1 + stripe());
    }
}
