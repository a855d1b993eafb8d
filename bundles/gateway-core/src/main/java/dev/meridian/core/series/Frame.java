package dev.meridian.core.series;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable read of time series: for each key, its slots with data in {@code [from, to)}
 * (epoch seconds), oldest first. What a node answers ({@link SeriesBook#read}), what crosses the
 * cluster ({@link #encode}, {@link #decode}: bytes only), what the requesting node sums ({@link
 * #merge}) and renders ({@link #toTree}).
 *
 * <p><b>Memory.</b> A point holds 14 long counters and its non-empty latency buckets (~300 bytes
 * for a typical spread of 10 buckets; at most ~1.1 KiB). A node's largest frame, every series at
 * one-minute resolution over 24 hours, is 33 x 1440 points: ~14 MB typical, 52 MB at most.
 *
 * <p><b>Wire form</b> (version {@value #VERSION}): the version byte, the resolution byte, from
 * and to (8 bytes each), then the number of keys and per key (in key order) the API id and shape
 * (length-prefixed UTF-8), the number of points and per point its start (as the distance from the
 * previous one, the first from {@code from}), the 14 counters and the non-empty buckets (count,
 * then index distance and count each); numbers as unsigned LEB128 varints. Decoding checks every
 * length against a bound before it allocates (input at most {@value #MAX_BYTES} bytes, {@value
 * #MAX_KEYS} keys, {@value #MAX_POINTS} points, strings of {@value #MAX_STRING_BYTES} bytes) and
 * allocates only for what the input holds: at most ~13 times its length (a point of 16 bytes
 * becomes ~200), never more than ~75 MB.
 */
public final class Frame {

    /** The wire form's version, its first byte. */
    public static final int VERSION = 1;
    /** The fields of {@link #toTree}, in the order the tree lists them. */
    public static final Set<String> FIELDS = Collections.unmodifiableSet(new LinkedHashSet<>(
        List.of("requests", "errors4xx", "errors5xx", "status", "p50Ms", "p90Ms", "p99Ms", "cache", "evictions")));
    static final int MAX_BYTES = 16 << 20;
    static final int MAX_KEYS = 1024;
    /** Points in a decoded frame: a node's largest read has 33 x 1440 = 47,520. */
    static final int MAX_POINTS = 1 << 16;
    static final int MAX_STRING_BYTES = 256;

    private final Resolution resolution;
    private final long from;
    private final long to;
    private final Map<Key, List<Point>> series;

    /** @param series per key its points, oldest first (copied) */
    Frame(Resolution resolution, long from, long to, Map<Key, List<Point>> series) {
        this.resolution = Objects.requireNonNull(resolution, "resolution");
        this.from = from;
        this.to = to;
        TreeMap<Key, List<Point>> copy = new TreeMap<>();
        series.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.series = Collections.unmodifiableMap(copy);
    }

    public Resolution resolution() {
        return resolution;
    }

    /** The first epoch second asked for. */
    public long from() {
        return from;
    }

    /** The epoch second after the last one asked for. */
    public long to() {
        return to;
    }

    /** The keys with at least one point, in order. */
    public Set<Key> keys() {
        return series.keySet();
    }

    /** {@code key}'s points, oldest first; empty for a key without one. */
    public List<Point> points(Key key) {
        return series.getOrDefault(key, List.of());
    }

    /** {@code key}'s sum over the frame (its {@link Point#t} is {@link #from}). */
    public Point total(Key key) {
        Point total = new Point(from, new long[Layout.FIXED], new byte[0], new long[0]);
        for (Point p : points(key)) {
            total = total.plus(p);
        }
        return total;
    }

    /**
     * The sum of {@code frames} (nodes' reads of the same range): points of the same key and start
     * add up, the others are kept; the range covers all of theirs.
     *
     * @throws IllegalArgumentException for no frame, or frames of different resolutions
     */
    public static Frame merge(List<Frame> frames) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frame to merge");
        }
        Resolution res = frames.get(0).resolution;
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        Map<Key, TreeMap<Long, Point>> sum = new TreeMap<>();
        for (Frame f : frames) {
            if (f.resolution != res) {
                throw new IllegalArgumentException("frames of " + res.label() + " and " + f.resolution.label());
            }
            from = Math.min(from, f.from);
            to = Math.max(to, f.to);
            f.series.forEach((key, points) -> {
                TreeMap<Long, Point> byTime = sum.computeIfAbsent(key, k -> new TreeMap<>());
                for (Point p : points) {
                    byTime.merge(p.t, p, Point::plus);
                }
            });
        }
        Map<Key, List<Point>> out = new TreeMap<>();
        sum.forEach((key, byTime) -> out.put(key, new ArrayList<>(byTime.values())));
        return new Frame(res, from, to, out);
    }

    /** The wire form (see the class comment). */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(VERSION);
        out.write(resolution.ordinal());
        writeLong(out, from);
        writeLong(out, to);
        writeVar(out, series.size());
        series.forEach((key, points) -> {
            writeString(out, key.apiId());
            writeString(out, key.shape());
            writeVar(out, points.size());
            long previous = from;
            for (Point p : points) {
                writeVar(out, p.t - previous);
                previous = p.t;
                for (long c : p.fixed) {
                    writeVar(out, c);
                }
                writeVar(out, p.buckets.length);
                int bucket = 0;
                for (int i = 0; i < p.buckets.length; i++) {
                    writeVar(out, p.buckets[i] - bucket);
                    bucket = p.buckets[i];
                    writeVar(out, p.counts[i]);
                }
            }
        });
        return out.toByteArray();
    }

    /**
     * Reads {@link #encode}'s form.
     *
     * @throws IllegalArgumentException for anything else: another version, truncated or trailing
     *     bytes, a length over its bound, points out of order or outside the range
     */
    public static Frame decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("frame over " + MAX_BYTES + " bytes: " + bytes.length);
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            int version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("frame version " + version + ", expected " + VERSION);
            }
            int res = in.get();
            if (res < 0 || res >= Resolution.values().length) {
                throw new IllegalArgumentException("unknown resolution " + res);
            }
            Resolution resolution = Resolution.values()[res];
            long from = in.getLong();
            long to = in.getLong();
            if (from > to) {
                throw new IllegalArgumentException("from after to");
            }
            long keys = readVar(in);
            if (keys > MAX_KEYS) {
                throw new IllegalArgumentException("over " + MAX_KEYS + " keys: " + keys);
            }
            Map<Key, List<Point>> series = new TreeMap<>();
            Key last = null;
            int total = 0;
            for (int k = 0; k < keys; k++) {
                Key key = new Key(readString(in), readString(in));
                if (last != null && key.compareTo(last) <= 0) {
                    throw new IllegalArgumentException("keys out of order at " + key);
                }
                last = key;
                long count = readVar(in);
                if (count == 0 || count > MAX_POINTS - total) {
                    throw new IllegalArgumentException("bad point count " + count + " for " + key);
                }
                total += (int) count;
                List<Point> points = new ArrayList<>();
                long t = from;
                for (int i = 0; i < count; i++) {
                    long delta = readVar(in);
                    if (i > 0 && delta == 0) {
                        throw new IllegalArgumentException("points out of order for " + key);
                    }
                    t = Math.addExact(t, delta);
                    if (t >= to || Math.floorMod(t, resolution.seconds()) != 0) {
                        throw new IllegalArgumentException("point " + t + " outside the range or not a slot start");
                    }
                    points.add(readPoint(in, t));
                }
                series.put(key, points);
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return new Frame(resolution, from, to, series);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated frame", e);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("point time out of range", e);
        }
    }

    private static Point readPoint(ByteBuffer in, long t) {
        long[] fixed = new long[Layout.FIXED];
        for (int i = 0; i < fixed.length; i++) {
            fixed[i] = readVar(in);
        }
        long n = readVar(in);
        if (n > Layout.BUCKETS) {
            throw new IllegalArgumentException("over " + Layout.BUCKETS + " buckets: " + n);
        }
        byte[] buckets = new byte[(int) n];
        long[] counts = new long[(int) n];
        long bucket = 0;
        for (int i = 0; i < n; i++) {
            long delta = readVar(in);
            if ((i > 0 && delta == 0) || delta >= Layout.BUCKETS || bucket + delta >= Layout.BUCKETS) {
                throw new IllegalArgumentException("bad bucket after " + bucket + ": +" + delta);
            }
            bucket += delta;
            buckets[i] = (byte) bucket;
            counts[i] = readVar(in);
            if (counts[i] == 0) {
                throw new IllegalArgumentException("empty bucket " + bucket + " listed");
            }
        }
        return new Point(t, fixed, buckets, counts);
    }

    /**
     * The JSON tree of {@code GET /api/v1/metrics/series}: {@code resolution}, {@code from}, {@code
     * to}, {@code series} (per key {@code api}, {@code shape}, {@code points} each with its start
     * {@code t}, and {@code total}), each point with {@code fields} ({@link #FIELDS}; empty: all).
     * Maps and lists of strings, numbers and nested maps, in a stable order.
     *
     * @throws IllegalArgumentException for a field not in {@link #FIELDS}
     */
    public Map<String, Object> toTree(Set<String> fields) {
        for (String f : fields) {
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "', expected some of " + FIELDS);
            }
        }
        Set<String> want = fields.isEmpty() ? FIELDS : fields;
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("resolution", resolution.label());
        root.put("from", from);
        root.put("to", to);
        List<Object> list = new ArrayList<>();
        series.forEach((key, points) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("api", key.apiId());
            s.put("shape", key.shape());
            List<Object> ps = new ArrayList<>(points.size());
            for (Point p : points) {
                ps.add(p.toTree(want, true));
            }
            s.put("points", ps);
            s.put("total", total(key).toTree(want, false));
            list.add(s);
        });
        root.put("series", list);
        return root;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && resolution == f.resolution && from == f.from && to == f.to && series.equals(f.series);
    }

    @Override
    public int hashCode() {
        return Objects.hash(resolution, from, to, series);
    }

    @Override
    public String toString() {
        int points = 0;
        for (List<Point> p : series.values()) {
            points += p.size();
        }
        return "Frame[" + resolution.label() + " " + from + ".." + to + ", " + series.size() + " keys, " + points + " points]";
    }

    private static void writeLong(ByteArrayOutputStream out, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
    }

    /** Unsigned LEB128 of a non-negative {@code v}. */
    private static void writeVar(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long readVar(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            int b = in.get();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) {
                    throw new IllegalArgumentException("number out of range");
                }
                return v;
            }
        }
        throw new IllegalArgumentException("number over 63 bits");
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeVar(out, b.length);
        out.write(b, 0, b.length);
    }

    private static String readString(ByteBuffer in) {
        long n = readVar(in);
        if (n > MAX_STRING_BYTES || n > in.remaining()) {
            throw new IllegalArgumentException("bad string length " + n);
        }
        byte[] b = new byte[(int) n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /**
     * One slot's counts (or a sum of slots): requests, answers by status class, cache outcomes,
     * evictions by reason and the latency histogram (see {@link #quantileMillis}).
     */
    public static final class Point {

        private final long t;
        private final long[] fixed;
        /** Non-empty histogram buckets, ascending, and their counts. */
        private final byte[] buckets;
        private final long[] counts;

        private Point(long t, long[] fixed, byte[] buckets, long[] counts) {
            this.t = t;
            this.fixed = fixed;
            this.buckets = buckets;
            this.counts = counts;
        }

        /** A point from a slot's counters ({@link Layout}). */
        static Point of(long t, int[] slot) {
            long[] fixed = new long[Layout.FIXED];
            for (int i = 0; i < fixed.length; i++) {
                fixed[i] = slot[i];
            }
            int n = 0;
            for (int i = 0; i < Layout.BUCKETS; i++) {
                n += slot[Layout.LATENCY + i] != 0 ? 1 : 0;
            }
            byte[] buckets = new byte[n];
            long[] counts = new long[n];
            int j = 0;
            for (int i = 0; i < Layout.BUCKETS; i++) {
                if (slot[Layout.LATENCY + i] != 0) {
                    buckets[j] = (byte) i;
                    counts[j++] = slot[Layout.LATENCY + i];
                }
            }
            return new Point(t, fixed, buckets, counts);
        }

        /** The slot's start, in epoch seconds. */
        public long t() {
            return t;
        }

        public long requests() {
            return fixed[Layout.REQUESTS];
        }

        /** Answers of status class {@code cls} (1 for 1xx ... 5 for 5xx). */
        public long status(int cls) {
            if (cls < 1 || cls > 5) {
                throw new IllegalArgumentException("status class 1..5: " + cls);
            }
            return fixed[Layout.STATUS + cls - 1];
        }

        public long errors4xx() {
            return status(4);
        }

        public long errors5xx() {
            return status(5);
        }

        /** Requests with cache outcome {@code o} ({@link CacheOutcome#NONE} is not counted: 0). */
        public long cache(CacheOutcome o) {
            int i = Layout.cache(o);
            return i < 0 ? 0 : fixed[i];
        }

        /** hit / (hit + miss + stale); 0 without any. */
        public double hitRatio() {
            long hit = cache(CacheOutcome.HIT);
            long all = hit + cache(CacheOutcome.MISS) + cache(CacheOutcome.STALE);
            return all <= 0 ? 0 : (double) hit / all;
        }

        public long evictions(EvictionReason reason) {
            return fixed[Layout.EVICTIONS + reason.ordinal()];
        }

        /** The histogram's counts, one per bucket (a copy). */
        public long[] latency() {
            long[] dense = new long[Layout.BUCKETS];
            for (int i = 0; i < buckets.length; i++) {
                dense[buckets[i]] = counts[i];
            }
            return dense;
        }

        /** Latencies the histogram holds (one per request). */
        public long latencyCount() {
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            return n;
        }

        /**
         * The {@code q} quantile (0..1) of the latencies in milliseconds: the middle of the bucket
         * it falls in (within 12.5% above 64 µs; 0.032 for anything below); 0 without latencies.
         */
        public double quantileMillis(double q) {
            long n = latencyCount();
            if (n <= 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(q * n));
            long seen = 0;
            for (int i = 0; i < buckets.length; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return Layout.middle(buckets[i]) / 1000.0;
                }
            }
            return Layout.middle(buckets[buckets.length - 1]) / 1000.0;
        }

        /** The sum of this point and {@code o}, at this point's start. */
        public Point plus(Point o) {
            long[] sumFixed = fixed.clone();
            for (int i = 0; i < sumFixed.length; i++) {
                sumFixed[i] += o.fixed[i];
            }
            long[] dense = latency();
            for (int i = 0; i < o.buckets.length; i++) {
                dense[o.buckets[i]] += o.counts[i];
            }
            int n = 0;
            for (long c : dense) {
                n += c != 0 ? 1 : 0;
            }
            byte[] b = new byte[n];
            long[] c = new long[n];
            int j = 0;
            for (int i = 0; i < dense.length; i++) {
                if (dense[i] != 0) {
                    b[j] = (byte) i;
                    c[j++] = dense[i];
                }
            }
            return new Point(t, sumFixed, b, c);
        }

        private Map<String, Object> toTree(Set<String> fields, boolean withTime) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (withTime) {
                m.put("t", t);
            }
            for (String f : FIELDS) {
                if (!fields.contains(f)) {
                    continue;
                }
                switch (f) {
                    case "requests" -> m.put(f, requests());
                    case "errors4xx" -> m.put(f, errors4xx());
                    case "errors5xx" -> m.put(f, errors5xx());
                    case "status" -> {
                        Map<String, Object> s = new LinkedHashMap<>();
                        for (int cls = 1; cls <= 5; cls++) {
                            s.put(cls + "xx", status(cls));
                        }
                        m.put(f, s);
                    }
                    case "p50Ms" -> m.put(f, round3(quantileMillis(0.50)));
                    case "p90Ms" -> m.put(f, round3(quantileMillis(0.90)));
                    case "p99Ms" -> m.put(f, round3(quantileMillis(0.99)));
                    case "cache" -> {
                        Map<String, Object> c = new LinkedHashMap<>();
                        c.put("hit", cache(CacheOutcome.HIT));
                        c.put("miss", cache(CacheOutcome.MISS));
                        c.put("stale", cache(CacheOutcome.STALE));
                        c.put("bypass", cache(CacheOutcome.BYPASS));
                        c.put("hitRatio", round3(hitRatio()));
                        m.put(f, c);
                    }
                    case "evictions" -> {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("size", evictions(EvictionReason.SIZE));
                        e.put("bytes", evictions(EvictionReason.BYTES));
                        e.put("expired", evictions(EvictionReason.EXPIRED));
                        e.put("invalidated", evictions(EvictionReason.INVALIDATED));
                        m.put(f, e);
                    }
                    default -> throw new IllegalStateException(f);
                }
            }
            return m;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Point p && t == p.t && Arrays.equals(fixed, p.fixed) && Arrays.equals(buckets, p.buckets)
                && Arrays.equals(counts, p.counts);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(t) * 31 + Arrays.hashCode(fixed);
        }

        @Override
        public String toString() {
            return "Point[t=" + t + " requests=" + requests() + " fixed=" + Arrays.toString(fixed) + " buckets="
                + latencyCount() + "]";
        }
    }
}
