package dev.meridian.core;

import dev.meridian.core.series.CacheOutcome;
import dev.meridian.core.series.Series;

/**
 * Counters of one API on this node, kept across revisions (a route of every revision that
 * serves the API points at the same instance). Lock-free; read for {@code /metrics}.
 */
public final class ApiMetrics {

    /** Upper bounds, in microseconds, of the latency histogram buckets. */
    public static final long[] BUCKETS_MICROS = {1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000};

    private final String apiId;
    private final String shape;
    // striped by thread, not LongAdder: see StripedCounter (every answer adds to three of them)
    private final StripedCounter[] byStatusClass = {new StripedCounter(), new StripedCounter(), new StripedCounter(),
        new StripedCounter(), new StripedCounter(), new StripedCounter()};
    private final StripedCounter[] buckets = new StripedCounter[BUCKETS_MICROS.length + 1];
    private final StripedCounter totalMicros = new StripedCounter();
    private final Series series;

    /**
     * @param key an API id (its main shape), or {@link #key(String, String) id/shape} for another
     *     shape of a split API, counted apart
     */
    public ApiMetrics(String key) {
        this(key, null);
    }

    /**
     * @param key as {@link #ApiMetrics(String)}
     * @param series the node's time series of this API and shape (the console's, issue 14), or null
     */
    public ApiMetrics(String key, Series series) {
        this.series = series;
        int slash = key.indexOf('/');
        this.apiId = slash < 0 ? key : key.substring(0, slash);
        this.shape = slash < 0 ? "" : key.substring(slash + 1);
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new StripedCounter();
        }
    }

    public String apiId() {
        return apiId;
    }

    /**
     * The shape counted: {@code ""} for the API's own (main) shape, which keeps the series it had
     * before the API had a split; else the shape's name ({@code shape="v2"} in {@code /metrics}).
     */
    public String shape() {
        return shape;
    }

    /** The key of shape {@code shape}'s counters of API {@code apiId}. */
    public static String key(String apiId, String shape) {
        return apiId + "/" + shape;
    }

    /**
     * Records one finished request, in the series too with its cache outcome ({@link
     * CacheOutcome#NONE} for a route without a cache).
     */
    public void record(int status, long totalNanos, CacheOutcome cache) {
        record(status, totalNanos);
        Series s = series;
        if (s != null) {
            s.record(status, totalNanos, cache, System.currentTimeMillis());
        }
    }

    /** This API's and shape's series on this node, or null. */
    public Series series() {
        return series;
    }

    /** Records one finished request (not in the series: {@link #record(int, long, CacheOutcome)} does). */
    public void record(int status, long totalNanos) {
        int cls = status / 100;
        byStatusClass[cls >= 1 && cls <= 5 ? cls : 0].increment();
        long micros = totalNanos / 1_000;
        totalMicros.add(micros);
        int i = 0;
        while (i < BUCKETS_MICROS.length && micros > BUCKETS_MICROS[i]) {
            i++;
        }
        buckets[i].increment();
    }

    /** Requests answered with status class {@code cls} (1..5; 0 = other). */
    public long requests(int cls) {
        return byStatusClass[cls].sum();
    }

    /** Non-cumulative bucket counts; the last is +Inf. */
    public long[] bucketCounts() {
        long[] out = new long[buckets.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = buckets[i].sum();
        }
        return out;
    }

    public long totalMicros() {
        return totalMicros.sum();
    }
}
