package dev.meridian.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyConfigException.Problem;
import dev.meridian.policy.ratelimit.RateLimitConfig.Key;
import dev.meridian.policy.ratelimit.RateLimitConfig.KeyKind;
import dev.meridian.policy.ratelimit.RateLimitConfig.Scope;

class RateLimitConfigTest {

    private static Map<String, Object> entry(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static List<Problem> problems(Map<String, Object> config) {
        return assertThrows(PolicyConfigException.class, () -> RateLimitConfig.parse(config)).problems();
    }

    private static void refused(String field, Object value, String expected) {
        Map<String, Object> config = entry("limit", 10L, "per", "1s");
        config.put(field, value);
        List<Problem> problems = problems(config);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(field, problems.get(0).path());
        assertTrue(problems.get(0).message().contains(expected), problems.get(0).message());
    }

    @Test
    void should_parse_the_contract_example() throws Exception {
        RateLimitConfig c = RateLimitConfig.parse(entry("limit", 1000L, "per", "1s", "key", "consumer", "scope", "cluster"));
        assertEquals(new RateLimitConfig(1000, Duration.ofSeconds(1), new Key(KeyKind.CONSUMER, ""), Scope.CLUSTER), c);
        assertEquals(1, c.perSeconds());
    }

    @Test
    void should_default_to_consumer_key_and_cluster_scope() throws Exception {
        RateLimitConfig c = RateLimitConfig.parse(entry("limit", 5L, "per", "1m"));
        assertEquals(new Key(KeyKind.CONSUMER, ""), c.key());
        assertEquals(Scope.CLUSTER, c.scope());
        assertEquals(60, c.perSeconds());
    }

    @Test
    void should_parse_every_key_and_scope() throws Exception {
        assertEquals(new Key(KeyKind.IP, ""), RateLimitConfig.parse(entry("limit", 1L, "per", "1s", "key", "ip")).key());
        assertEquals(new Key(KeyKind.API, ""), RateLimitConfig.parse(entry("limit", 1L, "per", "1s", "key", "api")).key());
        Key header = RateLimitConfig.parse(entry("limit", 1L, "per", "1s", "key", "header:X-Tenant")).key();
        assertEquals(new Key(KeyKind.HEADER, "X-Tenant"), header);
        assertEquals("header:X-Tenant", header.spec());
        assertEquals(Scope.NODE, RateLimitConfig.parse(entry("limit", 1L, "per", "1s", "scope", "node")).scope());
        assertEquals(1000, RateLimitConfig.parse(entry("limit", 1000.0, "per", "1s")).limit(), "a YAML 1000.0 is 1000");
    }

    @Test
    void should_accept_windows_from_one_second_to_one_hour() throws Exception {
        assertEquals(Duration.ofSeconds(1), RateLimitConfig.parse(entry("limit", 1L, "per", "1s")).per());
        assertEquals(Duration.ofSeconds(1), RateLimitConfig.parse(entry("limit", 1L, "per", "1000ms")).per());
        assertEquals(Duration.ofMinutes(10), RateLimitConfig.parse(entry("limit", 1L, "per", "10m")).per());
        assertEquals(Duration.ofHours(1), RateLimitConfig.parse(entry("limit", 1L, "per", "1h")).per());
        assertEquals(Duration.ofHours(1), RateLimitConfig.parse(entry("limit", 1L, "per", "3600s")).per());
    }

    @Test
    void should_refuse_a_missing_zero_negative_or_fractional_limit() {
        assertEquals(List.of(new Problem("limit", "required: the requests admitted per window, e.g. limit: 1000")),
            problems(entry("per", "1s")));
        refused("limit", 0L, "must be from 1");
        refused("limit", -5L, "must be from 1");
        refused("limit", 2.5, "whole number");
        refused("limit", "1000", "whole number");
        refused("limit", 2_000_000_000L, "must be from 1 to 1000000000");
    }

    @Test
    void should_refuse_a_window_outside_one_second_to_one_hour() {
        refused("per", "500ms", "from 1s to 1h");
        refused("per", "2h", "from 1s to 1h");
        refused("per", "0s", "from 1s to 1h");
        refused("per", "1500ms", "whole seconds");
        refused("per", "soon", "expected a duration");
        refused("per", 1L, "expected a duration");
        assertEquals("per", problems(entry("limit", 1L)).get(0).path());
    }

    @Test
    void should_refuse_an_unknown_key_scope_or_field() {
        refused("key", "user", "expected ip, consumer, api or header:<Name>");
        refused("key", "header:", "header name");
        refused("key", "header:X Y", "header name");
        refused("key", 7L, "expected ip");
        refused("scope", "global", "expected cluster or node");
        refused("burst", 10L, "unknown field");
    }

    @Test
    void should_report_every_problem_at_once() {
        List<Problem> problems = problems(entry("limit", -1L, "per", "2h", "key", "who", "scope", "everywhere"));
        assertEquals(List.of("limit", "per", "key", "scope"), problems.stream().map(Problem::path).toList());
    }

    @Test
    void should_mask_control_characters_in_what_it_echoes() {
        List<Problem> problems = problems(entry("limit", 1L, "per", "1s", "key", "ip\n\u001b[31m"));
        assertTrue(problems.get(0).message().contains("'ip??[31m'"), problems.get(0).message());
    }
}
