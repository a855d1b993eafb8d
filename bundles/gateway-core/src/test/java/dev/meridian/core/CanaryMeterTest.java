package dev.meridian.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.model.CanaryPolicy;

/**
 * The canary's meter and split: counts over a sliding window (old slots drop out), quantiles
 * within the histogram's 6.25%, the wire form, and the canary table sending a key's bucket below
 * the share to the canary side, the rest to the stable side, alike for every instance.
 */
class CanaryMeterTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void should_count_requests_errors_and_latency_over_the_sliding_window_only() {
        CanaryMeter meter = new CanaryMeter(Duration.ofSeconds(10), 0);
        CanaryMeter.Side side = meter.canary();
        for (int i = 0; i < 100; i++) {
            side.record(i < 10 ? 500 : 200, 2_000_000, 1 * SECOND + i);
        }
        side.record(200, 40_000_000, 5 * SECOND);

        CanaryMeter.Window w = side.window(6 * SECOND);
        assertEquals(101, w.requests());
        assertEquals(10, w.errors());
        assertEquals(2.0, w.quantileMillis(0.5), 2.0 * 0.0625);
        assertEquals(40.0, w.quantileMillis(1.0), 40.0 * 0.0625);

        CanaryMeter.Window later = side.window(13 * SECOND);
        assertEquals(1, later.requests(), "the slot of second 1 has left the 10 s window, second 5's has not");
        assertEquals(101, later.totalRequests());
        assertEquals(10, later.totalErrors());

        side.record(200, 1_000_000, 13 * SECOND); // the slot of second 1 is reused: its old counts are gone
        assertEquals(2, side.window(13 * SECOND).requests());
        assertEquals(0, meter.stable().window(13 * SECOND).requests(), "the sides count apart");
    }

    @Test
    void should_keep_quantiles_within_the_histograms_resolution_and_round_trip_its_wire_form() {
        for (long micros : new long[] {0, 1, 31, 32, 33, 100, 999, 1_000, 12_345, 1_000_000, 60_000_000}) {
            double middle = CanaryMeter.middle(CanaryMeter.bucket(micros));
            assertTrue(Math.abs(middle - micros) <= Math.max(1, micros * 0.0625), micros + " -> " + middle);
        }
        CanaryMeter meter = new CanaryMeter(Duration.ofSeconds(30), 0);
        meter.stable().record(200, 1_500_000, SECOND);
        meter.stable().record(503, 9_000_000, SECOND);
        CanaryMeter.Window w = meter.stable().window(2 * SECOND);

        CanaryMeter.Window back = CanaryMeter.Window.decode(w.encode());

        assertEquals(w, back);
        assertEquals(0.5, back.errorRate());
        CanaryMeter.Window sum = back.plus(back);
        assertEquals(4, sum.requests());
        assertEquals(2, sum.errors());
    }

    @Test
    void should_send_keys_below_the_share_to_the_canary_side_and_the_rest_to_the_stable_side() throws Exception {
        Canary canary = new Canary(CanaryPolicy.parse(Map.of("canary", "5%")), 1, Map.of(), Instant.EPOCH, "admin");
        RouteTable stable = new RouteTable(1, 1, List.of());
        CanaryMeter meter = new CanaryMeter(Duration.ofMinutes(5));
        RouteTable table = new RouteTable(2, 2, List.of()).asCanary(stable, canary, meter);

        int onCanary = 0;
        for (int i = 0; i < 100_000; i++) {
            RouteTable side = table.side("u-" + i);
            int bucket = ShapeSplit.bucket(canary.salt(), "u-" + i);
            if (bucket < 500) {
                assertSame(table, side);
                onCanary++;
            } else {
                assertSame(table.canary().stable(), side);
                assertEquals(1, side.revision());
            }
        }
        assertEquals(5.0, onCanary / 1000.0, 0.5, "5% of 100,000 keys within 0.5 pp");
        assertSame(meter.canary(), table.meter());
        assertSame(meter.stable(), table.canary().stable().meter());
        assertSame(stable.consumers(), table.canary().stable().consumers());
        RouteTable plain = new RouteTable(3, 3, List.of());
        assertSame(plain, plain.side("anyone"), "a table without a canary serves every request");
    }
}
