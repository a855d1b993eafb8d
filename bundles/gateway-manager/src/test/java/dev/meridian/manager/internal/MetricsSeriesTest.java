package dev.meridian.manager.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.meridian.core.series.Resolution;
import dev.meridian.manager.AuditEntry;

class MetricsSeriesTest {

    private static AuditEntry entry(String call, long revision) {
        return new AuditEntry(Instant.parse("2026-12-03T17:00:00Z"), "admin", "admin", "127.0.0.1", call, revision, "s");
    }

    @Test
    void should_mark_every_change_of_what_is_served_and_nothing_else() {
        assertEquals("apply", MetricsSeries.kind(entry("PUT /api/v1/apis/orders", 12)));
        assertEquals("apply", MetricsSeries.kind(entry("gateway:apply", 12)));
        assertEquals("rollback", MetricsSeries.kind(entry("POST /api/v1/rollback", 13)));
        assertEquals("canary-start", MetricsSeries.kind(entry("POST /api/v1/apply?canary=5%", 14)));
        assertEquals("canary-promote", MetricsSeries.kind(entry("canary promote 14", 15)));
        assertEquals("canary-abort", MetricsSeries.kind(entry("POST /api/v1/canary/abort", 15)));
        assertEquals("canary-rollback", MetricsSeries.kind(entry("canary rollback 14", 15)));
        assertEquals("bundle", MetricsSeries.kind(entry("bundle jwt", 15)));
        assertNull(MetricsSeries.kind(entry("POST /api/v1/cache/invalidate", 0)), "no revision: no marker");
        assertNull(MetricsSeries.kind(entry("PUT /api/v1/apis/orders", 0)), "a refused call made no revision");
    }

    @Test
    void should_round_trip_a_question_and_refuse_a_malformed_one() {
        MetricsSeries.Query q = new MetricsSeries.Query(Resolution.MINUTE, 1_000, 4_600, "orders");
        assertEquals(q, MetricsSeries.Query.decode(q.encode()));
        MetricsSeries.Query all = new MetricsSeries.Query(Resolution.SECOND, 10, 20, null);
        assertEquals(all, MetricsSeries.Query.decode(all.encode()));
        assertThrows(IllegalArgumentException.class, () -> MetricsSeries.Query.decode(new byte[] {1, 9}));
        assertThrows(IllegalArgumentException.class, () -> MetricsSeries.Query.decode(new byte[] {7}));
        assertThrows(IllegalArgumentException.class, () -> MetricsSeries.Query.decode(new byte[0]));
    }

    @Test
    void should_write_markers_times_as_plain_epoch_seconds_with_milliseconds() {
        java.util.Map<String, Object> m = MetricsSeries.marker(entry("PUT /api/v1/apis/orders", 3), "apply");
        assertEquals("1796317200.000", m.get("t").toString());
        assertEquals("{\"t\":1796317200.000,\"kind\":\"apply\",\"revision\":3,\"user\":\"admin\",\"summary\":\"s\"}",
            new String(dev.meridian.model.Json.write(m), java.nio.charset.StandardCharsets.UTF_8));
    }
}
