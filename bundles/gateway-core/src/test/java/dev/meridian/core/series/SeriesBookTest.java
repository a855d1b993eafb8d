package dev.meridian.core.series;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * A node's series with a clock the test sets: exact counts per second and per minute, quantiles
 * within a bucket, the kept windows, rings reused after long pauses, the minute roll-up, the
 * bound on series and forgetting an API, and the JSON tree.
 */
class SeriesBookTest {

    /** An epoch second that starts a minute. */
    private static final long T0 = 1_796_299_980L;
    private static final long MS = 1_000_000L;
    private static final Key ORDERS = new Key("orders", "");

    private final SettableClock clock = new SettableClock(T0 * 1000);
    private final SeriesBook book = new SeriesBook(clock);

    private static long at(long second, long millis) {
        return second * 1000 + millis;
    }

    @Test
    void should_count_requests_status_classes_cache_outcomes_and_evictions_per_second() {
        Series s = book.series("orders", "");
        for (int i = 0; i < 3; i++) {
            s.record(200, 2 * MS, CacheOutcome.HIT, at(T0, 100 + i));
        }
        s.record(404, 2 * MS, CacheOutcome.MISS, at(T0, 200));
        s.record(503, 2 * MS, CacheOutcome.STALE, at(T0, 999));
        s.record(101, 2 * MS, CacheOutcome.NONE, at(T0, 0));
        s.record(999, 2 * MS, CacheOutcome.NONE, at(T0, 0)); // not a status class: a request all the same
        s.evicted(EvictionReason.EXPIRED, 2, at(T0, 500));
        s.evicted(EvictionReason.SIZE, 1, at(T0, 500));
        s.evicted(EvictionReason.BYTES, 0, at(T0, 500));
        s.record(302, 2 * MS, CacheOutcome.BYPASS, at(T0 + 1, 0));
        s.evicted(EvictionReason.INVALIDATED, 5, at(T0 + 3, 0)); // a slot with evictions only
        clock.set(at(T0 + 4, 0));

        Frame f = book.read(Resolution.SECOND, T0, T0 + 10, k -> true);

        assertEquals(Set.of(ORDERS), f.keys());
        List<Frame.Point> points = f.points(ORDERS);
        assertEquals(List.of(T0, T0 + 1, T0 + 3), points.stream().map(Frame.Point::t).toList());
        Frame.Point first = points.get(0);
        assertEquals(7, first.requests());
        assertEquals(List.of(1L, 3L, 0L, 1L, 1L), List.of(first.status(1), first.status(2), first.status(3),
            first.status(4), first.status(5)));
        assertEquals(1, first.errors4xx());
        assertEquals(1, first.errors5xx());
        assertEquals(3, first.cache(CacheOutcome.HIT));
        assertEquals(1, first.cache(CacheOutcome.MISS));
        assertEquals(1, first.cache(CacheOutcome.STALE));
        assertEquals(0, first.cache(CacheOutcome.BYPASS));
        assertEquals(0, first.cache(CacheOutcome.NONE));
        assertEquals(0.6, first.hitRatio(), 1e-9);
        assertEquals(2, first.evictions(EvictionReason.EXPIRED));
        assertEquals(1, first.evictions(EvictionReason.SIZE));
        assertEquals(0, first.evictions(EvictionReason.BYTES));
        assertEquals(7, first.latencyCount());
        Frame.Point second = points.get(1);
        assertEquals(1, second.requests());
        assertEquals(1, second.status(3));
        assertEquals(1, second.cache(CacheOutcome.BYPASS));
        assertEquals(0, second.hitRatio());
        Frame.Point evictionsOnly = points.get(2);
        assertEquals(0, evictionsOnly.requests());
        assertEquals(5, evictionsOnly.evictions(EvictionReason.INVALIDATED));

        Frame.Point total = f.total(ORDERS);
        assertEquals(8, total.requests());
        assertEquals(5, total.evictions(EvictionReason.INVALIDATED));
        assertEquals(List.of(), book.read(Resolution.SECOND, T0 + 1, T0 + 1, k -> true).points(ORDERS), "an empty range");
        assertEquals(1, book.read(Resolution.SECOND, T0 + 1, T0 + 2, k -> true).points(ORDERS).size(), "to is exclusive");
    }

    @Test
    void should_count_a_late_answer_in_the_newest_second() {
        Series s = book.series("orders", "");
        s.record(200, MS, CacheOutcome.NONE, at(T0 + 5, 0));
        s.record(200, MS, CacheOutcome.NONE, at(T0 + 3, 900)); // its second turned already
        clock.set(at(T0 + 6, 0));

        List<Frame.Point> points = book.read(Resolution.SECOND, T0, T0 + 10, k -> true).points(ORDERS);

        assertEquals(1, points.size());
        assertEquals(T0 + 5, points.get(0).t());
        assertEquals(2, points.get(0).requests());
    }

    @Test
    void should_keep_buckets_a_quarter_of_their_power_of_two_wide() {
        assertEquals(101, Layout.BUCKETS);
        assertEquals(0, Layout.bucket(-5));
        assertEquals(0, Layout.bucket(63));
        assertEquals(1, Layout.bucket(64));
        assertEquals(100, Layout.bucket(Long.MAX_VALUE));
        for (long v = 0; v < 1L << 31; v = v * 17 / 16 + 1) {
            int b = Layout.bucket(v);
            assertTrue(Layout.lower(b) <= v && v < Layout.lower(b) + Layout.width(b), v + " in bucket " + b);
            if (v >= 64) {
                assertTrue(Math.abs(Layout.middle(b) - v) <= v * 0.125, v + " -> " + Layout.middle(b));
            }
        }
        for (int b = 1; b < Layout.BUCKETS; b++) {
            assertEquals(Layout.lower(b - 1) + Layout.width(b - 1), Layout.lower(b), "buckets are contiguous at " + b);
        }
    }

    @Test
    void should_give_quantiles_within_a_buckets_width_of_the_exact_value() {
        Random random = new Random(14);
        long[][] distributions = new long[3][20_000];
        for (int i = 0; i < 20_000; i++) {
            distributions[0][i] = 1_000 + random.nextInt(9_000); // uniform 1..10 ms, in µs
            distributions[1][i] = (long) (-Math.log(1 - random.nextDouble()) * 5_000); // exponential, mean 5 ms
            distributions[2][i] = i % 100 == 0 ? 250_000 : 800 + random.nextInt(400); // 1% slow answers
        }
        for (long[] micros : distributions) {
            SeriesBook b = new SeriesBook(clock);
            Series s = b.series("orders", "");
            for (long m : micros) {
                s.record(200, m * 1_000, CacheOutcome.NONE, at(T0, 0));
            }
            Frame.Point p = b.read(Resolution.SECOND, T0, T0 + 1, k -> true).points(ORDERS).get(0);
            long[] sorted = micros.clone();
            Arrays.sort(sorted);
            for (double q : new double[] {0.5, 0.9, 0.99}) {
                long exact = sorted[(int) Math.ceil(q * sorted.length) - 1];
                double width = Layout.width(Layout.bucket(exact)) / 1000.0;
                assertEquals(exact / 1000.0, p.quantileMillis(q), width, "q" + q);
            }
        }
    }

    @Test
    void should_sum_completed_minutes_by_roll_and_the_current_minute_from_its_seconds() {
        Series s = book.series("orders", "");
        for (int minute = 0; minute < 3; minute++) {
            for (int second = 0; second < 60; second += 7) {
                s.record(minute == 1 ? 500 : 200, MS, CacheOutcome.MISS, at(T0 + minute * 60 + second, 0));
                if (minute == 1 && second == 0) {
                    s.evicted(EvictionReason.BYTES, 4, at(T0 + 61, 0));
                }
            }
        }
        clock.set(at(T0 + 150, 0)); // minute 2 is the current one
        Frame before = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true);

        book.roll(clock.millis());
        Frame rolled = book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true);
        book.roll(clock.millis());

        assertEquals(before, rolled, "a rolled minute reads as the sum of its seconds");
        assertEquals(rolled, book.read(Resolution.MINUTE, T0, T0 + 3600, k -> true), "roll() twice changes nothing");
        List<Frame.Point> points = rolled.points(ORDERS);
        assertEquals(List.of(T0, T0 + 60, T0 + 120), points.stream().map(Frame.Point::t).toList());
        assertEquals(9, points.get(0).requests());
        assertEquals(9, points.get(1).errors5xx());
        assertEquals(4, points.get(1).evictions(EvictionReason.BYTES));
        assertEquals(9, points.get(2).cache(CacheOutcome.MISS));
        assertEquals(27, rolled.total(ORDERS).requests());
        assertEquals(List.of(T0 + 60), book.read(Resolution.MINUTE, T0 + 1, T0 + 61, k -> true).points(ORDERS).stream()
            .map(Frame.Point::t).toList(), "a minute is in the range when its start is");
    }

    @Test
    void should_catch_up_on_every_minute_after_a_pause_and_keep_them_once_their_seconds_are_reused() {
        Series s = book.series("orders", "");
        for (int minute = 0; minute < 5; minute++) {
            for (int i = 0; i <= minute; i++) {
                s.record(200, MS, CacheOutcome.NONE, at(T0 + minute * 60 + 30, i));
            }
        }
        clock.set(at(T0 + 600, 0));
        book.roll(clock.millis()); // the first roll in ten minutes
        for (int second = 0; second < 300; second++) { // the seconds of those 5 minutes are reused
            s.record(200, MS, CacheOutcome.NONE, at(T0 + 900 + second, 0));
        }
        clock.set(at(T0 + 1200, 0));

        List<Frame.Point> points = book.read(Resolution.MINUTE, T0, T0 + 300, k -> true).points(ORDERS);

        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), points.stream().map(Frame.Point::requests).toList());
        assertEquals(List.of(), book.read(Resolution.SECOND, T0, T0 + 300, k -> true).points(ORDERS));
        book.roll(clock.millis());
        assertEquals(15 + 300, book.read(Resolution.MINUTE, T0, T0 + 1200, k -> true).total(ORDERS).requests());
    }

    @Test
    void should_forget_seconds_older_than_15_minutes_and_minutes_older_than_24_hours() {
        Series s = book.series("orders", "");
        s.record(200, MS, CacheOutcome.NONE, at(T0, 0));
        clock.set(at(T0 + 899, 999));
        assertEquals(1, book.read(Resolution.SECOND, T0 - 1000, T0 + 1000, k -> true).points(ORDERS).size());
        clock.set(at(T0 + 900, 0));
        assertEquals(List.of(), book.read(Resolution.SECOND, T0 - 1000, T0 + 1000, k -> true).points(ORDERS));

        book.roll(clock.millis());
        clock.set(at(T0 + 1439 * 60 + 59, 0));
        assertEquals(1, book.read(Resolution.MINUTE, T0 - 1000, T0 + 100_000, k -> true).points(ORDERS).size());
        clock.set(at(T0 + 1440 * 60, 0));
        assertEquals(List.of(), book.read(Resolution.MINUTE, T0 - 1000, T0 + 100_000, k -> true).points(ORDERS));
    }

    @Test
    void should_show_no_data_of_an_older_lap_when_the_rings_wrap_after_long_pauses() {
        Series s = book.series("orders", "");
        for (int i = 0; i <= 10; i++) {
            s.record(200, MS, CacheOutcome.NONE, at(T0 + i, 0));
            s.record(200, MS, CacheOutcome.NONE, at(T0 + i, 1));
        }
        s.record(200, MS, CacheOutcome.NONE, at(T0 + 905, 0)); // second 905 reuses the slot of second 5
        clock.set(at(T0 + 905, 500));

        List<Frame.Point> seconds = book.read(Resolution.SECOND, T0, T0 + 1000, k -> true).points(ORDERS);

        assertEquals(List.of(T0 + 6, T0 + 7, T0 + 8, T0 + 9, T0 + 10, T0 + 905),
            seconds.stream().map(Frame.Point::t).toList());
        assertEquals(List.of(2L, 2L, 2L, 2L, 2L, 1L), seconds.stream().map(Frame.Point::requests).toList());

        for (long laps : new long[] {10, 1000}) { // exactly whole laps later: the same slot, an old epoch
            long second = T0 + 905 + laps * 900;
            s.record(200, MS, CacheOutcome.NONE, at(second, 0));
            clock.set(at(second, 1));
            List<Frame.Point> later = book.read(Resolution.SECOND, second - 900, second + 1, k -> true).points(ORDERS);
            assertEquals(1, later.size());
            assertEquals(1, later.get(0).requests());
        }

        long last = T0 + 905 + 1000 * 900;
        clock.set(at(last + 120, 0));
        book.roll(clock.millis());
        List<Frame.Point> minutes = book.read(Resolution.MINUTE, 0, Long.MAX_VALUE, k -> true).points(ORDERS);
        assertEquals(1, minutes.size(), "the minutes of the earlier laps are older than a day");
        long day = last + 1440 * 60; // a day later: the same minute slot
        s.record(200, MS, CacheOutcome.NONE, at(day, 0));
        s.record(200, MS, CacheOutcome.NONE, at(day, 0));
        clock.set(at(day + 120, 0));
        book.roll(clock.millis());

        List<Frame.Point> lastDay = book.read(Resolution.MINUTE, 0, Long.MAX_VALUE, k -> true).points(ORDERS);

        assertEquals(1, lastDay.size(), "the minute of a day before is gone");
        assertEquals(Resolution.MINUTE.slotStart(day), lastDay.get(0).t());
        assertEquals(2, lastDay.get(0).requests());
    }

    @Test
    void should_record_keys_beyond_max_series_into_other_and_forget_an_apis_series() {
        for (int i = 0; i < SeriesBook.MAX_SERIES; i++) {
            book.series("api-" + i, "").record(200, MS, CacheOutcome.NONE, at(T0, 0));
        }
        Series v2 = book.series("api-0", "v2");
        Series extra = book.series("api-99", "");
        v2.record(200, MS, CacheOutcome.NONE, at(T0, 0));
        extra.record(200, MS, CacheOutcome.NONE, at(T0, 0));
        clock.set(at(T0 + 1, 0));

        assertSame(v2, extra);
        assertEquals(SeriesBook.OTHER, extra.key());
        Frame f = book.read(Resolution.SECOND, T0, T0 + 1, k -> true);
        assertEquals(SeriesBook.MAX_SERIES + 1, f.keys().size());
        assertEquals(2, f.points(SeriesBook.OTHER).get(0).requests());
        assertEquals(SeriesBook.MAX_SERIES, book.keys().size());

        Series api0 = book.series("api-0", "");
        book.forget("api-0");
        api0.record(200, MS, CacheOutcome.NONE, at(T0 + 1, 0)); // a route still holding the handle
        Series v2Again = book.series("api-0", "v2");
        v2Again.record(200, MS, CacheOutcome.NONE, at(T0 + 1, 0));
        clock.set(at(T0 + 2, 0));

        assertNotSame(SeriesBook.OTHER, v2Again.key());
        assertEquals(new Key("api-0", "v2"), v2Again.key());
        Frame after = book.read(Resolution.SECOND, T0, T0 + 2, k -> k.apiId().equals("api-0"));
        assertEquals(Set.of(new Key("api-0", "v2")), after.keys(), "the old series is gone, its handle records nothing");
        assertEquals(1, after.total(new Key("api-0", "v2")).requests());
        assertThrows(IllegalArgumentException.class, () -> book.series("", "other"));
    }

    @Test
    void should_render_the_json_tree_with_the_fields_asked_for() {
        Series s = book.series("orders", "");
        for (int i = 0; i < 80; i++) {
            s.record(200, 1_200_000, CacheOutcome.HIT, at(T0 + 1, 0));
        }
        for (int i = 0; i < 30; i++) {
            s.record(i == 0 ? 404 : 200, 3 * MS, CacheOutcome.MISS, at(T0 + 1, 0));
        }
        for (int i = 0; i < 10; i++) {
            s.record(200, 7_500_000, CacheOutcome.BYPASS, at(T0 + 1, 0));
        }
        s.evicted(EvictionReason.EXPIRED, 2, at(T0 + 1, 0));
        clock.set(at(T0 + 2, 0));
        Frame f = book.read(Resolution.SECOND, T0, T0 + 900, k -> true);

        Map<String, Object> tree = f.toTree(Set.of());

        assertEquals(List.of("resolution", "from", "to", "series"), List.copyOf(tree.keySet()));
        assertEquals("1s", tree.get("resolution"));
        assertEquals(T0, tree.get("from"));
        assertEquals(T0 + 900, tree.get("to"));
        Map<?, ?> series = (Map<?, ?>) ((List<?>) tree.get("series")).get(0);
        assertEquals("orders", series.get("api"));
        assertEquals("", series.get("shape"));
        Map<?, ?> point = (Map<?, ?>) ((List<?>) series.get("points")).get(0);
        assertEquals(List.of("t", "requests", "errors4xx", "errors5xx", "status", "p50Ms", "p90Ms", "p99Ms", "cache",
            "evictions"), List.copyOf(point.keySet()));
        assertEquals(T0 + 1, point.get("t"));
        assertEquals(120L, point.get("requests"));
        assertEquals(1L, point.get("errors4xx"));
        assertEquals(0L, point.get("errors5xx"));
        assertEquals(Map.of("1xx", 0L, "2xx", 119L, "3xx", 0L, "4xx", 1L, "5xx", 0L), point.get("status"));
        assertEquals(1.2, (Double) point.get("p50Ms"), 1.2 * 0.125);
        assertEquals(2.9, (Double) point.get("p90Ms"), 3.0 * 0.125);
        assertEquals(7.5, (Double) point.get("p99Ms"), 7.5 * 0.125);
        assertEquals(Map.of("hit", 80L, "miss", 30L, "stale", 0L, "bypass", 10L, "hitRatio", 0.727), point.get("cache"));
        assertEquals(Map.of("size", 0L, "bytes", 0L, "expired", 2L, "invalidated", 0L), point.get("evictions"));
        Map<?, ?> total = (Map<?, ?>) series.get("total");
        assertEquals(120L, total.get("requests"));
        assertTrue(!total.containsKey("t"));

        Map<?, ?> some = (Map<?, ?>) ((List<?>) ((Map<?, ?>) ((List<?>) f.toTree(Set.of("requests", "cache"))
            .get("series")).get(0)).get("points")).get(0);
        assertEquals(List.of("t", "requests", "cache"), List.copyOf(some.keySet()));
        assertThrows(IllegalArgumentException.class, () -> f.toTree(Set.of("latency")));
    }
}
