package dev.meridian.core.series;

/**
 * The counters of one slot, as consecutive ints (a ring) or longs (a {@link Frame.Point}): requests,
 * answers by status class, cache outcomes, evictions by reason, then the latency histogram.
 *
 * <p><b>Histogram.</b> Log-linear over microseconds: bucket 0 holds everything below 64 µs, then
 * 4 sub-buckets per power of two from 2^6 to 2^31 µs (a bucket is a quarter of its power of two
 * wide: its middle is within 12.5% of any value in it), capped at 2^31 µs (~36 min). Plain counts,
 * so histograms of any nodes and slots merge by adding them.
 */
final class Layout {

    static final int REQUESTS = 0;
    /** Answers with status 1xx at {@code STATUS}, ... 5xx at {@code STATUS + 4}; other statuses count as requests only. */
    static final int STATUS = 1;
    /** {@link CacheOutcome#HIT} at {@code CACHE}, then MISS, STALE, BYPASS. */
    static final int CACHE = 6;
    /** {@link EvictionReason}s in their order. */
    static final int EVICTIONS = 10;
    static final int LATENCY = 14;
    /** Counters before the histogram. */
    static final int FIXED = LATENCY;
    static final int BUCKETS = 1 + 25 * 4;
    static final int STRIDE = FIXED + BUCKETS;

    private static final int LINEAR_BITS = 6;
    private static final long CAP_MICROS = (1L << 31) - 1;

    private Layout() {
    }

    /** The counter of cache outcome {@code o} ({@link CacheOutcome#NONE}, or null, has none: -1). */
    static int cache(CacheOutcome o) {
        return o == null || o == CacheOutcome.NONE ? -1 : CACHE + o.ordinal() - 1;
    }

    /** The counter of status class of {@code status}, -1 outside 100..599. */
    static int status(int status) {
        return status >= 100 && status < 600 ? STATUS + status / 100 - 1 : -1;
    }

    /** The histogram bucket of {@code micros} (0..{@link #BUCKETS}-1). */
    static int bucket(long micros) {
        long v = Math.min(Math.max(micros, 0), CAP_MICROS);
        if (v < 1L << LINEAR_BITS) {
            return 0;
        }
        int e = 63 - Long.numberOfLeadingZeros(v); // 6..30
        int sub = (int) (v >>> (e - 2)) & 3;
        return 1 + (e - LINEAR_BITS) * 4 + sub;
    }

    /** The lowest value of bucket {@code i}, in microseconds. */
    static long lower(int i) {
        if (i == 0) {
            return 0;
        }
        int e = (i - 1) / 4 + LINEAR_BITS;
        return (4L + (i - 1) % 4) << (e - 2);
    }

    /** The width of bucket {@code i}, in microseconds. */
    static long width(int i) {
        return i == 0 ? 1L << LINEAR_BITS : 1L << ((i - 1) / 4 + LINEAR_BITS - 2);
    }

    /** The middle of bucket {@code i}, in microseconds: what a quantile falling in it reports. */
    static double middle(int i) {
        return lower(i) + width(i) / 2.0;
    }
}
