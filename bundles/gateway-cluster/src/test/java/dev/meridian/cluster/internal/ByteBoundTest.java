package dev.meridian.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Where a pass of the byte bound cuts, from a sample of {@code {lastAccessTime, cost}}. */
class ByteBoundTest {

    @Test
    void should_cut_after_the_oldest_entries_that_hold_the_excess() {
        List<long[]> sample = List.of(new long[] {4000, 10}, new long[] {1000, 10}, new long[] {3000, 10}, new long[] {2000, 10});
        assertEquals(Optional.of(new ByteBound.Cutoff(2000, 1.0)), ByteBound.cutoff(sample, 0.5, 100));
    }

    @Test
    void should_take_a_share_of_the_entries_used_in_the_second_of_the_cut() {
        List<long[]> sample = List.of(new long[] {5000, 10}, new long[] {5000, 10}, new long[] {5000, 10}, new long[] {5000, 10});
        assertEquals(Optional.of(new ByteBound.Cutoff(5000, 0.25)), ByteBound.cutoff(sample, 0.25, 100));
    }

    @Test
    void should_weigh_entries_by_their_bytes() {
        List<long[]> sample = List.of(new long[] {1000, 30}, new long[] {2000, 10});
        ByteBound.Cutoff cut = ByteBound.cutoff(sample, 0.5, 100).orElseThrow();
        assertEquals(1000, cut.accessTime());
        assertEquals(2.0 / 3, cut.share(), 1e-9);
    }

    @Test
    void should_take_no_more_entries_than_a_pass_may_evict() {
        List<long[]> sample = List.of(new long[] {1000, 10}, new long[] {2000, 10}, new long[] {3000, 10}, new long[] {4000, 10});
        assertEquals(Optional.of(new ByteBound.Cutoff(2000, 1.0)), ByteBound.cutoff(sample, 1.0, 2));
        ByteBound.Cutoff half = ByteBound.cutoff(sample, 1.0, 1.5).orElseThrow();
        assertEquals(new ByteBound.Cutoff(2000, 0.5), half);
    }

    @Test
    void should_cut_nothing_without_a_sample_or_an_excess() {
        assertTrue(ByteBound.cutoff(List.of(), 0.5, 100).isEmpty());
        assertTrue(ByteBound.cutoff(List.<long[]>of(new long[] {1000, 10}), 0, 100).isEmpty());
    }
}
