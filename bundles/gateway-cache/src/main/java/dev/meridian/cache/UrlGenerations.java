package dev.meridian.cache;

import dev.meridian.core.StableHash;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Invalidation generations of single URLs, in bounded memory: what unsafe requests (RFC 9111
 * §4.4) and key invalidations raise. Traffic chooses the URLs, so their number must not grow
 * with it: a flood of POSTs to random query strings would otherwise fill the heap (one
 * generation per URL, kept a day).
 *
 * <p>A URL is known by a 64-bit hash of its {@linkplain RouteCache#urlTag tag}; the hashes fall
 * into {@value #BUCKETS} buckets, each holding at most {@value #PER_BUCKET} exact generations and
 * a <em>floor</em>. The generation of a URL is {@code max(floor, exact)}. When a bucket is full,
 * its lowest exact generations are folded into the floor: the URLs they covered stay
 * invalidated, and every other URL of that bucket is invalidated with them (more misses, never a
 * stale answer). At most {@code BUCKETS * PER_BUCKET} exact generations exist, 16 bytes each
 * (plus array headers): about 17 MiB per node and as much in the cluster, whatever the traffic.
 *
 * <p>Every generation of a URL is monotone: a bump takes {@link Generations#next} of its current
 * one, a fold only raises the floor to values the bucket had, and an exact generation is dropped
 * only when the floor covers it or when it is older than the retention (every entry stored under
 * an older value is gone by then; see {@link Generations}). A hash collision, or a fold, only
 * invalidates more.
 *
 * <p>The cluster keeps the same buckets ({@link CacheStore#bumpUrls}), changed by {@link #bump};
 * nodes apply what the cluster answers ({@link #apply}) and keep the same bound on their own.
 * Each bucket is an immutable array swapped by compare-and-set: reads take no lock.
 */
public final class UrlGenerations {

    /** Buckets: a power of two. */
    public static final int BUCKETS = 16_384;
    /** Exact generations a bucket keeps before folding the lowest into its floor. */
    public static final int PER_BUCKET = 64;

    /**
     * One bucket: {@code [floor, h1, g1, h2, g2, ...]}, exact generations all above the floor.
     * The cluster's copy adds the time of its last change in front ({@link #bump}).
     */
    private final AtomicReferenceArray<long[]> buckets = new AtomicReferenceArray<>(BUCKETS);
    /** When each bucket last rose here ({@link System#nanoTime}); 0 = never. */
    private final java.util.concurrent.atomic.AtomicLongArray risen = new java.util.concurrent.atomic.AtomicLongArray(BUCKETS);

    /** A stable 64-bit hash of a URL tag ({@link StableHash}: the same on every node). */
    public static long hash(String urlTag) {
        return StableHash.of(urlTag);
    }

    /** The bucket of a hash. */
    public static int bucket(long hash) {
        return (int) (hash >>> 50); // the top 14 bits: BUCKETS = 2^14
    }

    /** The generation of the URL with this hash; 0 when never invalidated (or forgotten). */
    public long get(long hash) {
        long[] b = buckets.get(bucket(hash));
        return b == null ? 0 : generation(b, 0, hash);
    }

    /** Whether the bucket of {@code hash} rose after {@code nanos} (a fill that started then may have raced it). */
    public boolean risenSince(long hash, long nanos) {
        long at = risen.get(bucket(hash));
        return at != 0 && at - nanos > 0;
    }

    /** {@code max(floor, exact)} in a bucket array that starts at {@code offset} with the floor. */
    static long generation(long[] b, int offset, long hash) {
        long g = b[offset];
        for (int i = offset + 1; i + 1 < b.length; i += 2) {
            if (b[i] == hash) {
                return Math.max(g, b[i + 1]);
            }
        }
        return g;
    }

    /**
     * Applies what the cluster answered for one bucket ({@code change}: {@code [floor, h1, g1, ...]}):
     * the floor and each exact generation only rise; exact generations the floor covers, or older
     * than {@code retentionMillis} before {@code nowMillis}, go; past {@link #PER_BUCKET} the lowest
     * are folded into the floor, as the cluster does.
     */
    public void apply(int bucket, long[] change, long nowMillis, long retentionMillis) {
        while (true) {
            long[] before = buckets.get(bucket);
            long[] after = merged(before, change, nowMillis - retentionMillis);
            if (Arrays.equals(before, after)) {
                return;
            }
            if (buckets.compareAndSet(bucket, before, after)) {
                risen.set(bucket, nonZero(System.nanoTime()));
                return;
            }
        }
    }

    private static long nonZero(long nanos) {
        return nanos == 0 ? 1 : nanos;
    }

    /** {@code before} (may be null) with {@code change} applied; null when nothing is left. */
    static long[] merged(long[] before, long[] change, long oldestKept) {
        long floor = Math.max(before == null ? 0 : before[0], change[0]);
        Pairs pairs = new Pairs();
        if (before != null) {
            pairs.addAll(before, 1);
        }
        pairs.addAll(change, 1);
        return pairs.toBucket(floor, oldestKept, PER_BUCKET);
    }

    /**
     * The cluster's side of a bump of one bucket, deterministic (the caller supplies the clock, so
     * a backup replica reaches the very values the primary answered).
     *
     * @param record the bucket as the cluster holds it, {@code [changedMillis, floor, h1, g1, ...]},
     *     or null
     * @param hashes URLs of this bucket to invalidate
     * @param whole invalidate every URL of the bucket (raise the floor above all of them)
     * @return {@code [record, change]}: the new record, and what nodes apply ({@code [floor, h, g, ...]}
     *     for the URLs bumped)
     */
    public static long[][] bump(long[] record, long[] hashes, boolean whole, long nowMillis, long retentionMillis) {
        long floor = record == null ? 0 : record[1];
        Pairs pairs = new Pairs();
        if (record != null) {
            pairs.addAll(record, 2);
        }
        pairs.dropUpTo(floor, nowMillis - retentionMillis);
        if (whole) {
            floor = Generations.next(Math.max(floor, pairs.max()), nowMillis);
            pairs.clear();
        }
        long[] bumped = new long[hashes.length * 2];
        int n = 0;
        for (long h : hashes) {
            long g = Generations.next(Math.max(floor, pairs.get(h)), nowMillis);
            pairs.put(h, g);
            bumped[n++] = h;
            bumped[n++] = g;
        }
        long[] bucket = pairs.toBucket(floor, nowMillis - retentionMillis, PER_BUCKET);
        if (bucket == null) {
            return new long[][] {null, {0}}; // nothing bumped, everything forgotten
        }
        long[] newRecord = new long[bucket.length + 1];
        newRecord[0] = nowMillis;
        System.arraycopy(bucket, 0, newRecord, 1, bucket.length);
        long[] change = new long[1 + n];
        change[0] = bucket[0];
        System.arraycopy(bumped, 0, change, 1, n);
        return new long[][] {newRecord, change};
    }

    /** The change a node applies to catch up with a whole record of the cluster ({@code [changedMillis, floor, ...]}). */
    public static long[] changeOf(long[] record) {
        return Arrays.copyOfRange(record, 1, record.length);
    }

    /** The generation {@code change} ({@code [floor, h1, g1, ...]}) gives the URL with this hash. */
    public static long generationIn(long[] change, long hash) {
        return generation(change, 0, hash);
    }

    /** Exact generations this node holds (for statistics and tests). */
    public int size() {
        int n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            long[] b = buckets.get(i);
            if (b != null) {
                n += (b.length - 1) / 2;
            }
        }
        return n;
    }

    /** Drops exact generations older than the retention, and buckets with nothing left above 0. */
    public void forgetExpired(long nowMillis, long retentionMillis) {
        long[] none = {0};
        for (int i = 0; i < BUCKETS; i++) {
            long[] before = buckets.get(i);
            if (before == null) {
                continue;
            }
            long[] after = merged(before, none, nowMillis - retentionMillis);
            if (!Arrays.equals(before, after)) {
                buckets.compareAndSet(i, before, after); // a concurrent rise wins; the next sweep retries
            }
        }
    }

    /** A small open list of (hash, generation) pairs; fine for the few dozen of a bucket. */
    private static final class Pairs {
        private long[] hashes = new long[8];
        private long[] gens = new long[8];
        private int size;

        void addAll(long[] array, int from) {
            for (int i = from; i + 1 < array.length; i += 2) {
                put(array[i], Math.max(array[i + 1], get(array[i])));
            }
        }

        long get(long hash) {
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash) {
                    return gens[i];
                }
            }
            return 0;
        }

        void put(long hash, long gen) {
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash) {
                    gens[i] = gen;
                    return;
                }
            }
            if (size == hashes.length) {
                hashes = Arrays.copyOf(hashes, size * 2);
                gens = Arrays.copyOf(gens, size * 2);
            }
            hashes[size] = hash;
            gens[size++] = gen;
        }

        long max() {
            long m = 0;
            for (int i = 0; i < size; i++) {
                m = Math.max(m, gens[i]);
            }
            return m;
        }

        void clear() {
            size = 0;
        }

        /** Removes pairs at or below {@code floor}, and those older than {@code oldestKept}. */
        void dropUpTo(long floor, long oldestKept) {
            int w = 0;
            for (int r = 0; r < size; r++) {
                if (gens[r] > floor && gens[r] >= oldestKept) {
                    hashes[w] = hashes[r];
                    gens[w++] = gens[r];
                }
            }
            size = w;
        }

        /**
         * {@code [floor, h1, g1, ...]} sorted by hash, with at most {@code capacity} pairs: the
         * lowest generations past it are folded into the floor (ties go with them). Null when
         * nothing is left (floor 0, no pairs).
         */
        long[] toBucket(long floor, long oldestKept, int capacity) {
            if (floor < oldestKept) {
                floor = 0; // set longer ago than any entry is kept: nothing stored under it is left
            }
            dropUpTo(floor, oldestKept);
            if (size > capacity) {
                long[] sorted = Arrays.copyOf(gens, size);
                Arrays.sort(sorted);
                floor = Math.max(floor, sorted[size - capacity - 1]);
                dropUpTo(floor, oldestKept);
            }
            if (floor == 0 && size == 0) {
                return null;
            }
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(hashes[a], hashes[b]));
            long[] out = new long[1 + 2 * size];
            out[0] = floor;
            for (int i = 0; i < size; i++) {
                out[1 + 2 * i] = hashes[order[i]];
                out[2 + 2 * i] = gens[order[i]];
            }
            return out;
        }
    }
}
