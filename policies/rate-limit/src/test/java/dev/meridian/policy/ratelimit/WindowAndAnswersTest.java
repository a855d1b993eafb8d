package dev.meridian.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.ratelimit.RateLimitConfig.Key;
import dev.meridian.policy.ratelimit.RateLimitConfig.KeyKind;
import dev.meridian.policy.ratelimit.RateLimitConfig.Scope;

class WindowAndAnswersTest {

    @Test
    void should_align_windows_on_the_epoch() {
        assertEquals(new Window(1_000, 2_000), Window.at(1_000, 1_000));
        assertEquals(new Window(1_000, 2_000), Window.at(1_999, 1_000));
        assertEquals(new Window(2_000, 3_000), Window.at(2_000, 1_000));
        assertEquals(new Window(0, 60_000), Window.at(59_999, 60_000));
        assertEquals(new Window(3_600_000, 7_200_000), Window.at(3_600_000 + 42, 3_600_000));
        long now = 1_764_745_217_345L; // 2025-12-03T07:00:17.345Z, a whole minute + 17.345 s
        assertEquals(new Window(1_764_745_200_000L, 1_764_745_260_000L), Window.at(now, 60_000));
        assertEquals(new Window(1_764_745_217_000L, 1_764_745_218_000L), Window.at(now, 1_000));
    }

    @Test
    void should_count_seconds_left_rounded_up_and_at_least_one() {
        Window w = new Window(10_000, 20_000);
        assertEquals(10, w.secondsLeft(10_000));
        assertEquals(10, w.secondsLeft(10_001));
        assertEquals(1, w.secondsLeft(19_000));
        assertEquals(1, w.secondsLeft(19_999));
        assertEquals(2, w.secondsLeft(18_999));
        assertEquals(1, w.secondsLeft(20_000), "never 0: a client told to retry after 0 s retries at once");
    }

    @Test
    void should_write_the_draft_headers_exactly() {
        RateLimitConfig consumer = new RateLimitConfig(1000, Duration.ofSeconds(1), new Key(KeyKind.CONSUMER, ""), Scope.CLUSTER);
        assertEquals("\"consumer\";q=1000;w=1", Answers.policy(consumer));
        RateLimitConfig header = new RateLimitConfig(50, Duration.ofMinutes(1), new Key(KeyKind.HEADER, "X-Tenant"), Scope.NODE);
        assertEquals("\"header\";q=50;w=60", Answers.policy(header));
        assertEquals("\"consumer\";r=999;t=1", Answers.rateLimit("consumer", 999, 1));
        assertEquals("\"ip\";r=0;t=7", Answers.rateLimit("ip", -3, 7), "never a negative remaining");
        assertEquals(Map.of("Retry-After", "7", "RateLimit-Policy", "\"ip\";q=10;w=60", "RateLimit", "\"ip\";r=0;t=7"),
            Answers.limited("\"ip\";q=10;w=60", "ip", 7));
    }
}
