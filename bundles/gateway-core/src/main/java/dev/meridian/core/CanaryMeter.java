package dev.meridian.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each side of a canary served on this node (CONTRACT §8, issue 13): requests, 5xx answers
 * and a latency histogram per slot of a sliding window, plus totals since the canary started.
 * One per canary revision on a node, kept across recompiles of that revision; the data plane
 * records each answer on the side whose table served it, the manager reads {@link Side#window}
 * once a second, publishes it and merges every node's.
 *
 * <p>Latencies are kept from {@link #LATENCY_WARMUP_NANOS} after the meter starts (both sides alike).
 *
 * <p><b>Cost.</b> Three atomic increments per request while a canary runs; nothing otherwise (a
 * table without a canary has no meter). Memory: {@code (2 + LATENCY_BUCKETS)} longs per slot and
 * side, at most 32 slots: 230 KiB per side.
 *
 * <p><b>Histogram.</b> Log-linear over microseconds (16 sub-buckets per power of two: within
 * 6.25%), exact below 32 µs, capped at 2^31 µs; fine enough to compare p99s against a 1.2x limit.
 * Hand-written rather than HdrHistogram (not served here): mergeable across nodes as plain counts.
 */
public final class CanaryMeter {

    /** Latency buckets of the histogram. */
    public static final int LATENCY_BUCKETS = 32 + 26 * 16;
    private static final int STRIDE = 2 + LATENCY_BUCKETS;
    private static final int MAX_SLOTS = 30;
    /**
     * Latencies of a node's first seconds with a canary are not kept (requests and errors are):
     * the canary side's first requests open connections to its upstreams and run code paths cold,
     * which made a good canary's p99 twice the warm stable side's in CanaryE2EIT.
     */
    static final long LATENCY_WARMUP_NANOS = 5_000_000_000L;

    private final long slotNanos;
    private final int windowSlots;
    private final int slots;
    private final long origin;
    private final Side stable;
    private final Side canary;

    /** A meter whose {@link Side#window} covers {@code window}, in slots of at least a second. */
    public CanaryMeter(Duration window) {
        this(window, System.nanoTime());
    }

    CanaryMeter(Duration window, long originNanos) {
        long w = Math.max(window.toNanos(), 1_000_000_000L);
        this.slotNanos = Math.max(1_000_000_000L, (w + MAX_SLOTS - 1) / MAX_SLOTS);
        this.windowSlots = (int) ((w + slotNanos - 1) / slotNanos);
        this.slots = windowSlots + 2;
        this.origin = originNanos;
        this.stable = new Side(); // after the sizes: a side's arrays are sized by them
        this.canary = new Side();
    }

    public Side stable() {
        return stable;
    }

    public Side canary() {
        return canary;
    }

    /** One side's counts. Thread-safe; recording never blocks except once per slot turn-over. */
    public final class Side {
        private final AtomicLongArray counts = new AtomicLongArray(slots * STRIDE);
        /** Each slot's epoch (slot turns since the origin), -1 before its first use; written under its own lock. */
        private final AtomicLongArray epochs = new AtomicLongArray(slots);
        private final LongAdder totalRequests = new LongAdder();
        private final LongAdder totalErrors = new LongAdder();

        private Side() {
            for (int i = 0; i < slots; i++) {
                epochs.set(i, -1);
            }
        }

        /**
         * One answer: {@code status} (5xx counts as an error) after {@code nanos}, completed at
         * {@code nowNanos} ({@link System#nanoTime()}).
         */
        public void record(int status, long nanos, long nowNanos) {
            long epoch = Math.max(0, nowNanos - origin) / slotNanos;
            int slot = (int) (epoch % slots);
            if (epochs.get(slot) != epoch) {
                turn(slot, epoch);
            }
            int base = slot * STRIDE;
            counts.incrementAndGet(base);
            totalRequests.increment();
            if (status >= 500) {
                counts.incrementAndGet(base + 1);
                totalErrors.increment();
            }
            if (nowNanos - origin >= LATENCY_WARMUP_NANOS) {
                counts.incrementAndGet(base + 2 + bucket(nanos / 1_000));
            }
        }

        private void turn(int slot, long epoch) {
            synchronized (epochs) {
                if (epochs.get(slot) >= epoch) {
                    return; // another thread turned it (or a late answer of an older slot: counted in the newer)
                }
                int base = slot * STRIDE;
                for (int i = 0; i < STRIDE; i++) {
                    counts.set(base + i, 0);
                }
                epochs.set(slot, epoch);
            }
        }

        /** The counts of the window that ends at {@code nowNanos}, and the totals. */
        public Window window(long nowNanos) {
            long current = Math.max(0, nowNanos - origin) / slotNanos;
            long requests = 0;
            long errors = 0;
            long[] latency = new long[LATENCY_BUCKETS];
            for (int slot = 0; slot < slots; slot++) {
                long e = epochs.get(slot);
                if (e < 0 || e > current || e <= current - windowSlots) {
                    continue;
                }
                int base = slot * STRIDE;
                requests += counts.get(base);
                errors += counts.get(base + 1);
                for (int i = 0; i < LATENCY_BUCKETS; i++) {
                    latency[i] += counts.get(base + 2 + i);
                }
            }
            return new Window(requests, errors, latency, totalRequests.sum(), totalErrors.sum());
        }
    }

    /** The histogram bucket of {@code micros}. */
    static int bucket(long micros) {
        long v = Math.min(Math.max(micros, 0), (1L << 31) - 1);
        if (v < 32) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v); // 5..30
        int sub = (int) ((v >>> (e - 4)) & 15);
        return 32 + (e - 5) * 16 + sub;
    }

    /** The middle of bucket {@code i}, in microseconds. */
    static double middle(int i) {
        if (i < 32) {
            return i + 0.5;
        }
        int e = (i - 32) / 16 + 5;
        int sub = (i - 32) % 16;
        long width = 1L << (e - 4);
        return (16L + sub) * width + width / 2.0;
    }

    /**
     * One side's counts over a window (and its totals since the start), as a node publishes them
     * and as they merge across nodes.
     */
    public record Window(long requests, long errors, long[] latency, long totalRequests, long totalErrors) {

        public Window {
            if (latency.length != LATENCY_BUCKETS) {
                throw new IllegalArgumentException("expected " + LATENCY_BUCKETS + " latency buckets: " + latency.length);
            }
        }

        /** Answers whose latency the histogram holds (those of the latency warm-up are not). */
        public long latencyCount() {
            long n = 0;
            for (long c : latency) {
                n += c;
            }
            return n;
        }

        /** 5xx answers over answers in the window; 0 without answers. */
        public double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /** The {@code q} quantile (0..1) of the window's latencies in milliseconds; 0 without answers. */
        public double quantileMillis(double q) {
            long n = latencyCount();
            if (n == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(q * n);
            long seen = 0;
            for (int i = 0; i < latency.length; i++) {
                seen += latency[i];
                if (seen >= rank && latency[i] > 0) {
                    return middle(i) / 1000.0;
                }
            }
            return middle(latency.length - 1) / 1000.0;
        }

        public Window plus(Window o) {
            long[] sum = latency.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += o.latency[i];
            }
            return new Window(requests + o.requests, errors + o.errors, sum, totalRequests + o.totalRequests,
                totalErrors + o.totalErrors);
        }

        /** A compact text form: {@code requests errors totalRequests totalErrors bucket:count ...} (non-zero buckets). */
        public String encode() {
            StringBuilder b = new StringBuilder(64).append(requests).append(' ').append(errors).append(' ')
                .append(totalRequests).append(' ').append(totalErrors);
            for (int i = 0; i < latency.length; i++) {
                if (latency[i] != 0) {
                    b.append(' ').append(i).append(':').append(latency[i]);
                }
            }
            return b.toString();
        }

        /** Reads {@link #encode}'s form; throws {@link IllegalArgumentException} on anything else. */
        public static Window decode(String s) {
            try {
                String[] parts = s.trim().split(" ");
                long[] latency = new long[LATENCY_BUCKETS];
                for (int i = 4; i < parts.length; i++) {
                    int colon = parts[i].indexOf(':');
                    latency[Integer.parseInt(parts[i].substring(0, colon))] = Long.parseLong(parts[i].substring(colon + 1));
                }
                return new Window(Long.parseLong(parts[0]), Long.parseLong(parts[1]), latency, Long.parseLong(parts[2]),
                    Long.parseLong(parts[3]));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a canary window: " + (s.length() > 60 ? s.substring(0, 60) : s), e);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Window w && requests == w.requests && errors == w.errors && totalRequests == w.totalRequests
                && totalErrors == w.totalErrors && Arrays.equals(latency, w.latency);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(requests) * 31 + Arrays.hashCode(latency);
        }

        @Override
        public String toString() {
            return "Window[" + encode() + "]";
        }
    }
}
