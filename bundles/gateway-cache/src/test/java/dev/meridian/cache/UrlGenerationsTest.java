package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The bounded URL generations: exact per URL, folded into a bucket's floor past its capacity, monotone. */
class UrlGenerationsTest {

    private static final long DAY = 86_400_000L;
    private static final long NOW = 1_700_000_000_000L;

    /** Hashes that all fall into one bucket. */
    private static List<Long> sameBucket(int n) {
        List<Long> out = new ArrayList<>();
        int bucket = UrlGenerations.bucket(UrlGenerations.hash("url:a /0"));
        for (int i = 0; out.size() < n; i++) {
            long h = UrlGenerations.hash("url:a /" + i);
            if (UrlGenerations.bucket(h) == bucket) {
                out.add(h);
            }
        }
        return out;
    }

    @Test
    void should_hash_stably_and_spread_over_the_buckets() {
        assertEquals(UrlGenerations.hash("url:orders /orders/1"), UrlGenerations.hash("url:orders /orders/1"));
        assertNotEquals(UrlGenerations.hash("url:orders /orders/1"), UrlGenerations.hash("url:orders /orders/2"));
        Set<Integer> buckets = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            int b = UrlGenerations.bucket(UrlGenerations.hash("url:orders /orders/" + i));
            assertTrue(b >= 0 && b < UrlGenerations.BUCKETS, "bucket " + b);
            buckets.add(b);
        }
        assertTrue(buckets.size() > 7_000, "10,000 URLs over " + buckets.size() + " buckets");
    }

    @Test
    void should_raise_only_the_invalidated_url() {
        List<Long> h = sameBucket(2);
        long[][] bumped = UrlGenerations.bump(null, new long[] {h.get(0)}, false, NOW, DAY);
        UrlGenerations node = new UrlGenerations();
        node.apply(UrlGenerations.bucket(h.get(0)), bumped[1], NOW, DAY);
        assertEquals(NOW, node.get(h.get(0)), "a bump takes the clock");
        assertEquals(0, node.get(h.get(1)), "its neighbour in the bucket is untouched");
        long[][] again = UrlGenerations.bump(bumped[0], new long[] {h.get(0)}, false, NOW, DAY);
        node.apply(UrlGenerations.bucket(h.get(0)), again[1], NOW, DAY);
        assertEquals(NOW + 1, node.get(h.get(0)), "a second bump in the same millisecond still rises");
    }

    @Test
    void should_fold_the_oldest_into_the_floor_past_the_bucket_capacity_without_lowering_any_url() {
        List<Long> h = sameBucket(UrlGenerations.PER_BUCKET + 1);
        int bucket = UrlGenerations.bucket(h.get(0));
        long[] record = null;
        UrlGenerations node = new UrlGenerations();
        long[] generationOf = new long[h.size()];
        for (int i = 0; i < h.size(); i++) {
            long[][] bumped = UrlGenerations.bump(record, new long[] {h.get(i)}, false, NOW + i, DAY);
            record = bumped[0];
            node.apply(bucket, bumped[1], NOW + i, DAY);
            generationOf[i] = NOW + i;
        }
        assertEquals(1 + 1 + 2 * UrlGenerations.PER_BUCKET, record.length, "the cluster keeps the capacity");
        assertEquals(UrlGenerations.PER_BUCKET, node.size(), "and so does the node");
        for (int i = 0; i < h.size(); i++) {
            assertTrue(node.get(h.get(i)) >= generationOf[i], "URL " + i + " never goes lower");
        }
        assertEquals(NOW, node.get(sameBucket(UrlGenerations.PER_BUCKET + 2).get(UrlGenerations.PER_BUCKET + 1)),
            "an URL never invalidated in that bucket now reads the floor: invalidated too (more misses, never stale)");
    }

    @Test
    void should_invalidate_a_whole_bucket_above_everything_it_held() {
        List<Long> h = sameBucket(3);
        int bucket = UrlGenerations.bucket(h.get(0));
        long[][] first = UrlGenerations.bump(null, new long[] {h.get(0)}, false, NOW + 50, DAY);
        long[][] whole = UrlGenerations.bump(first[0], new long[0], true, NOW, DAY);
        UrlGenerations node = new UrlGenerations();
        node.apply(bucket, first[1], NOW, DAY);
        node.apply(bucket, whole[1], NOW, DAY);
        assertEquals(NOW + 51, node.get(h.get(0)), "above the exact one, even with a clock behind it");
        assertEquals(NOW + 51, node.get(h.get(2)));
    }

    @Test
    void should_forget_what_is_older_than_the_retention() {
        List<Long> h = sameBucket(1);
        int bucket = UrlGenerations.bucket(h.get(0));
        long[][] bumped = UrlGenerations.bump(null, new long[] {h.get(0)}, false, NOW, DAY);
        UrlGenerations node = new UrlGenerations();
        node.apply(bucket, bumped[1], NOW, DAY);
        node.forgetExpired(NOW + DAY - 1, DAY);
        assertEquals(NOW, node.get(h.get(0)));
        node.forgetExpired(NOW + DAY + 1, DAY);
        assertEquals(0, node.get(h.get(0)), "every entry stored under it is gone by then");
        long[][] later = UrlGenerations.bump(bumped[0], new long[] {h.get(0)}, false, NOW + DAY + 1, DAY);
        assertEquals(1, (later[0].length - 2) / 2, "the cluster dropped the old one as it bumped");
        node.apply(bucket, later[1], NOW + DAY + 1, DAY);
        assertTrue(node.get(h.get(0)) > NOW, "bumped again later: above the value it had");
        assertNull(UrlGenerations.merged(null, new long[] {0}, 0), "nothing left: no bucket");
    }

    @Test
    void should_tell_when_a_bucket_rose_after_a_fill_started() {
        List<Long> h = sameBucket(1);
        UrlGenerations node = new UrlGenerations();
        long before = System.nanoTime();
        assertTrue(!node.risenSince(h.get(0), before));
        node.apply(UrlGenerations.bucket(h.get(0)), UrlGenerations.bump(null, new long[] {h.get(0)}, false, NOW, DAY)[1], NOW, DAY);
        assertTrue(node.risenSince(h.get(0), before));
    }
}
