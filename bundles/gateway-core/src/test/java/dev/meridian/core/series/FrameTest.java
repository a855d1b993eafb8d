package dev.meridian.core.series;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Frames as the cluster uses them: nodes' reads summed by key and slot, the wire form round trip,
 * and decoding that refuses truncated, oversized and random bytes with an IllegalArgumentException
 * only.
 */
class FrameTest {

    private static final long T0 = 1_796_299_980L;
    private static final Key ORDERS = new Key("orders", "");
    private static final Key ORDERS_V2 = new Key("orders", "v2");
    private static final Key USERS = new Key("users", "");

    private final SettableClock clock = new SettableClock(T0 * 1000);

    /** A node that recorded {@code requests} answers of {@code key} in each of the seconds {@code seconds}. */
    private SeriesBook node(Key key, int requests, long latencyMicros, long... seconds) {
        SeriesBook book = new SeriesBook(clock);
        add(book, key, requests, latencyMicros, seconds);
        return book;
    }

    private static void add(SeriesBook book, Key key, int requests, long latencyMicros, long... seconds) {
        Series s = book.series(key.apiId(), key.shape());
        for (long second : seconds) {
            for (int i = 0; i < requests; i++) {
                s.record(i % 10 == 0 ? 503 : 200, latencyMicros * 1_000 + i * 7_000L, CacheOutcome.values()[i % 5],
                    second * 1000 + i % 1000);
            }
            s.evicted(EvictionReason.values()[(int) (second % 4)], 3, second * 1000);
        }
    }

    private Frame frame() {
        SeriesBook a = node(ORDERS, 120, 900, T0, T0 + 1, T0 + 61);
        add(a, ORDERS_V2, 7, 40_000, T0 + 2);
        add(a, USERS, 1, 10, T0 + 100);
        clock.set((T0 + 130) * 1000);
        return a.read(Resolution.SECOND, T0, T0 + 900, k -> true);
    }

    @Test
    void should_sum_frames_of_several_nodes_by_key_and_slot_and_keep_disjoint_keys() {
        SeriesBook a = node(ORDERS, 100, 1_000, T0, T0 + 1);
        SeriesBook b = node(ORDERS, 50, 20_000, T0 + 1, T0 + 2);
        SeriesBook c = node(USERS, 7, 300, T0);
        add(c, ORDERS, 1, 5_000, T0 + 2);
        clock.set((T0 + 3) * 1000);
        List<Frame> frames = List.of(a, b, c).stream().map(n -> n.read(Resolution.SECOND, T0, T0 + 900, k -> true)).toList();

        Frame merged = Frame.merge(frames);

        assertEquals(Set.of(ORDERS, USERS), merged.keys());
        List<Frame.Point> orders = merged.points(ORDERS);
        assertEquals(List.of(T0, T0 + 1, T0 + 2), orders.stream().map(Frame.Point::t).toList());
        assertEquals(List.of(100L, 150L, 51L), orders.stream().map(Frame.Point::requests).toList());
        assertEquals(List.of(10L, 15L, 6L), orders.stream().map(Frame.Point::errors5xx).toList());
        assertEquals(6, orders.get(1).evictions(EvictionReason.values()[(int) ((T0 + 1) % 4)]));
        for (int i = 0; i < 3; i++) {
            long[] sum = new long[Layout.BUCKETS];
            for (Frame f : frames) {
                for (Frame.Point p : f.points(ORDERS)) {
                    if (p.t() == T0 + i) {
                        long[] l = p.latency();
                        for (int j = 0; j < sum.length; j++) {
                            sum[j] += l[j];
                        }
                    }
                }
            }
            assertTrue(Arrays.equals(sum, orders.get(i).latency()), "histograms add up at second " + i);
        }
        assertEquals(7, merged.points(USERS).get(0).requests());
        assertEquals(301, merged.total(ORDERS).requests());
        assertEquals(frames.get(2), Frame.merge(List.of(frames.get(2))));
        assertEquals(merged, Frame.merge(List.of(frames.get(2), frames.get(1), frames.get(0))), "in any order");

        Frame minutes = node(ORDERS, 1, 1, T0).read(Resolution.MINUTE, T0, T0 + 60, k -> true);
        assertThrows(IllegalArgumentException.class, () -> Frame.merge(List.of(frames.get(0), minutes)));
        assertThrows(IllegalArgumentException.class, () -> Frame.merge(List.of()));
    }

    @Test
    void should_decode_what_it_encoded() {
        Frame f = frame();
        SeriesBook empty = new SeriesBook(clock);

        Frame back = Frame.decode(f.encode());

        assertEquals(f, back);
        assertEquals(f.toTree(Set.of()), back.toTree(Set.of()));
        assertEquals(Set.of(ORDERS, ORDERS_V2, USERS), back.keys());
        Frame none = empty.read(Resolution.MINUTE, T0, T0 + 60, k -> true);
        assertEquals(none, Frame.decode(none.encode()));
        Frame merged = Frame.merge(List.of(f, back));
        assertEquals(merged, Frame.decode(merged.encode()));
        System.out.printf("series frame: %s encodes to %d bytes%n", f, f.encode().length);
    }

    @Test
    void should_refuse_truncated_bytes() {
        byte[] bytes = frame().encode();
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = Arrays.copyOf(bytes, n);
            assertThrows(IllegalArgumentException.class, () -> Frame.decode(cut), "the first " + n + " bytes");
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(IllegalArgumentException.class, () -> Frame.decode(longer), "a trailing byte");
    }

    @Test
    void should_refuse_oversized_lengths_and_counts_before_allocating() {
        assertThrows(IllegalArgumentException.class, () -> Frame.decode(new byte[Frame.MAX_BYTES + 1]));
        long[] hostile = {Integer.MAX_VALUE, Long.MAX_VALUE, Frame.MAX_KEYS + 1L, 1L << 40};
        for (long n : hostile) {
            assertThrows(IllegalArgumentException.class, () -> Frame.decode(header(n)), "keys " + n);
            ByteArrayOutputStream key = new ByteArrayOutputStream();
            key.writeBytes(header(1));
            var(key, n); // the API id's length
            assertThrows(IllegalArgumentException.class, () -> Frame.decode(key.toByteArray()), "a string of " + n);
            ByteArrayOutputStream points = new ByteArrayOutputStream();
            points.writeBytes(header(1));
            var(points, 1);
            points.write('a');
            var(points, 0);
            var(points, n); // points
            assertThrows(IllegalArgumentException.class, () -> Frame.decode(points.toByteArray()), n + " points");
        }
        byte[] elevenByteNumber = new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1,
            -1, -1, -1, -1, -1, 1};
        assertThrows(IllegalArgumentException.class, () -> Frame.decode(elevenByteNumber));
    }

    @Test
    void should_refuse_random_and_mutated_bytes_with_an_illegal_argument_only() {
        Random random = new Random(14);
        byte[] valid = frame().encode();
        int refused = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes;
            if (round % 2 == 0) {
                bytes = new byte[random.nextInt(200)];
                random.nextBytes(bytes);
                if (bytes.length > 1 && round % 4 == 0) {
                    bytes[0] = Frame.VERSION; // past the version check
                    bytes[1] = (byte) random.nextInt(2);
                }
            } else {
                bytes = valid.clone();
                for (int m = 1 + random.nextInt(4); m > 0; m--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            try {
                Frame decoded = Frame.decode(bytes);
                decoded.toTree(Set.of()); // a mutated count may still be a frame: it renders like one
            } catch (IllegalArgumentException e) {
                refused++;
            } catch (Throwable t) {
                fail("decode threw " + t + " for " + Arrays.toString(bytes), t);
            }
        }
        assertTrue(refused > 10_000, refused + " of 20,000 refused");
    }

    private static byte[] header(long keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Frame.VERSION);
        out.write(Resolution.SECOND.ordinal());
        out.writeBytes(ByteBuffer.allocate(16).putLong(T0).putLong(T0 + 900).array());
        var(out, keys);
        return out.toByteArray();
    }

    private static void var(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}
