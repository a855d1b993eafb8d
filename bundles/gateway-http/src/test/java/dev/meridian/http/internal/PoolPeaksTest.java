package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.policy.api.SharedState;

/**
 * The pools' peaks: the window's maximum, shared one line per node by compare-and-set, read as
 * the largest recent figure of any node. The shared space here is a map in memory with the
 * {@link SharedState} contract's compare-and-set (the Hazelcast one is exercised by WarmPoolsE2EIT).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PoolPeaksTest {

    private static final String A = "http://127.0.0.1:8081";
    private final MapState state = new MapState();

    @Test
    void should_keep_the_largest_sample_of_the_window_and_forget_it_once_it_left_the_window() {
        PoolPeaks peaks = new PoolPeaks("n1");
        peaks.sample(Map.of(A, 3));
        peaks.sample(Map.of(A, 17));
        peaks.sample(Map.of(A, 5));
        assertEquals(Map.of(A, 17), peaks.peaks());

        for (int i = 0; i < PoolPeaks.WINDOW - 2; i++) {
            peaks.sample(Map.of(A, 4));
        }
        assertEquals(Map.of(A, 17), peaks.peaks(), "the 17 is the window's oldest sample");
        peaks.sample(Map.of(A, 4));
        assertEquals(Map.of(A, 5), peaks.peaks(), "the 17 is older than the window");
        for (int i = 0; i < PoolPeaks.WINDOW; i++) {
            peaks.sample(Map.of());
        }
        assertEquals(Map.of(), peaks.peaks(), "an origin unused for a whole window, never shared, is dropped");
    }

    @Test
    void should_share_each_nodes_line_and_read_the_largest_peak_of_any_node() throws Exception {
        long now = System.currentTimeMillis();
        PoolPeaks n1 = new PoolPeaks("n1");
        PoolPeaks n2 = new PoolPeaks("node two"); // whitespace cannot break the value's lines
        n1.sample(Map.of(A, 12));
        n2.sample(Map.of(A, 20));
        n1.publish(state, now).toCompletableFuture().get();
        n2.publish(state, now).toCompletableFuture().get();

        String value = new String(state.map.get(PoolPeaks.key(A)), StandardCharsets.UTF_8);
        assertEquals(1, state.map.size());
        assertTrue(state.map.keySet().iterator().next().matches("o-[0-9a-f]{32}"), "the origin is not written in clear");
        assertEquals(List.of("n1 12 " + now, "node_two 20 " + now), Arrays.asList(value.split("\n")));
        assertEquals(Map.of(A, 20), PoolPeaks.read(state, List.of(A, "http://other:80"), now).toCompletableFuture().get());

        // n2's load went: its own line is replaced by its new figure, n1's stays
        for (int i = 0; i < PoolPeaks.WINDOW; i++) {
            n2.sample(Map.of(A, 2));
        }
        n2.publish(state, now + 1).toCompletableFuture().get();
        assertEquals(Map.of(A, 12), PoolPeaks.read(state, List.of(A), now + 1).toCompletableFuture().get());
    }

    @Test
    void should_ignore_lines_older_than_the_ttl_and_lines_that_do_not_parse() {
        long now = 1_000_000_000L;
        byte[] value = ("old 50 " + (now - PoolPeaks.TTL.toMillis() - 1) + "\nrecent 7 " + now + "\ngarbage\nbad x 1\n")
            .getBytes(StandardCharsets.UTF_8);
        assertEquals(7, PoolPeaks.peakOf(Optional.of(value), now));
        assertEquals(0, PoolPeaks.peakOf(Optional.empty(), now));
    }

    @Test
    void should_write_only_what_changed_or_a_minute_later() throws Exception {
        long now = System.currentTimeMillis();
        PoolPeaks n1 = new PoolPeaks("n1");
        n1.sample(Map.of(A, 8));
        n1.publish(state, now).toCompletableFuture().get();
        n1.publish(state, now + 5_000).toCompletableFuture().get();
        assertEquals(1, state.writes, "unchanged within the minute: not written again");
        n1.publish(state, now + 60_000).toCompletableFuture().get();
        assertEquals(2, state.writes, "refreshed after a minute");
        n1.sample(Map.of(A, 9));
        n1.publish(state, now + 61_000).toCompletableFuture().get();
        assertEquals(3, state.writes);
    }

    @Test
    void should_keep_both_lines_when_two_nodes_write_at_once() throws Exception {
        long now = System.currentTimeMillis();
        for (int round = 0; round < 20; round++) {
            state.map.clear();
            PoolPeaks n1 = new PoolPeaks("n1");
            PoolPeaks n2 = new PoolPeaks("n2");
            n1.sample(Map.of(A, 3));
            n2.sample(Map.of(A, 4));
            CompletableFuture<Void> w1 = CompletableFuture.runAsync(() -> n1.publish(state, now).toCompletableFuture().join());
            CompletableFuture<Void> w2 = CompletableFuture.runAsync(() -> n2.publish(state, now).toCompletableFuture().join());
            w1.get();
            w2.get();
            Map<String, long[]> lines = PoolPeaks.decode(state.map.get(PoolPeaks.key(A)), now);
            assertTrue(lines.containsKey("n1") && lines.containsKey("n2"), "round " + round + ": " + lines.keySet());
        }
    }

    /** A shared space in memory: get, putIfAbsent and a byte-wise compare-and-set, atomic per key. TTLs are not kept. */
    private static final class MapState implements SharedState {
        final ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>();
        volatile int writes;

        @Override
        public String name() {
            return PoolPeaks.SPACE;
        }

        @Override
        public Optional<byte[]> peek(String key) {
            return Optional.ofNullable(map.get(key));
        }

        @Override
        public CompletionStage<Optional<byte[]>> get(String key) {
            return CompletableFuture.supplyAsync(() -> Optional.ofNullable(map.get(key)));
        }

        @Override
        public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
            map.put(key, value);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Boolean> putIfAbsent(String key, byte[] value, Duration ttl) {
            boolean set = map.putIfAbsent(key, value) == null;
            writes += set ? 1 : 0;
            return CompletableFuture.supplyAsync(() -> set);
        }

        @Override
        public CompletionStage<Boolean> compareAndSet(String key, byte[] expected, byte[] value, Duration ttl) {
            boolean[] set = {false};
            map.computeIfPresent(key, (k, old) -> {
                set[0] = Arrays.equals(old, expected);
                return set[0] ? value : old;
            });
            writes += set[0] ? 1 : 0;
            return CompletableFuture.supplyAsync(() -> set[0]);
        }

        @Override
        public CompletionStage<Boolean> remove(String key) {
            return CompletableFuture.completedFuture(map.remove(key) != null);
        }

        @Override
        public CompletionStage<Long> addAndGet(String key, long delta, Duration ttl) {
            throw new UnsupportedOperationException();
        }
    }
}
