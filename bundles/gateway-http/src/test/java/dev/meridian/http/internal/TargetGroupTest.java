package dev.meridian.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.ListFields;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

class TargetGroupTest {

    private final Map<String, TargetState> states = new HashMap<>();

    private TargetGroup group(String balance, String... targets) throws Exception {
        StringBuilder yaml = new StringBuilder("id: t\nbasePath: /t\nupstream: {balance: '" + balance + "', targets: [");
        for (int i = 0; i < targets.length; i++) {
            String[] t = targets[i].split(" ");
            yaml.append(i == 0 ? "" : ", ").append("{url: '").append(t[0]).append("', weight: ").append(t[1]).append('}');
        }
        yaml.append("], circuitBreaker: {failureRatio: 50%, minRequests: 2, openFor: 1s}}\n");
        ApiDefinition api = DefinitionParser.parseOne(yaml.toString().getBytes(StandardCharsets.UTF_8), Format.YAML);
        return new TargetGroup(api.upstream(), api.id(),
            u -> states.computeIfAbsent(u.url().toString(), k -> new TargetState(k)));
    }

    private static Exchange exchange(TargetGroup g, String client, String user) {
        ApiDefinition api;
        try {
            api = DefinitionParser.parseOne("id: t\nbasePath: /t\nupstream: {url: 'http://h'}\n"
                .getBytes(StandardCharsets.UTF_8), Format.YAML);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Route route = new Route(api, List.of(), new ApiMetrics("t"));
        ListFields fields = new ListFields(user == null ? List.of() : List.of(Map.entry("X-User", user)));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, "GET", "/t", null, "r", client, 0, fields);
    }

    private static String host(TargetGroup.Member m) {
        return m.upstream().host();
    }

    @Test
    void should_interleave_smooth_weighted_round_robin_as_nginx_does() throws Exception {
        TargetGroup g = group("round-robin", "http://a 3", "http://b 1");
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            order.append(host(g.choose(null, 0, 0)));
        }
        assertEquals("aabaaaba", order.toString());
    }

    @Test
    void should_follow_weights_exactly_over_a_cycle_and_skip_an_ejected_target() throws Exception {
        TargetGroup g = group("round-robin", "http://a 5", "http://b 3", "http://c 2");
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            counts.merge(host(g.choose(null, 0, 0)), 1, Integer::sum);
        }
        assertEquals(Map.of("a", 500, "b", 300, "c", 200), counts);
        // b fails three times in a row: ejected, skipped
        TargetState b = states.get("http://b");
        long now = System.nanoTime();
        for (int i = 0; i < TargetState.EJECT_AFTER; i++) {
            b.acquire(now, g.config.circuitBreaker());
            b.end(true, now, g.config.circuitBreaker());
        }
        counts.clear();
        for (int i = 0; i < 700; i++) {
            counts.merge(host(g.choose(null, 0, now)), 1, Integer::sum);
        }
        assertEquals(Map.of("a", 500, "c", 200), counts);
        assertNull(g.choose(null, 0b101, now), "a and c excluded, b ejected: none");
    }

    @Test
    void should_spread_least_requests_by_weight_and_prefer_the_idle_target() throws Exception {
        TargetGroup g = group("least-requests", "http://a 3", "http://b 1");
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40_000; i++) {
            counts.merge(host(g.choose(null, 0, 0)), 1, Integer::sum);
        }
        // with nothing in flight every target ties: drawn by weight
        double shareA = counts.get("a") / 40_000.0;
        assertTrue(shareA > 0.73 && shareA < 0.77, "a's share " + shareA);
        // a busy target loses to an idle one
        states.get("http://a").inFlight.set(50);
        int b = 0;
        for (int i = 0; i < 1000; i++) {
            if (host(g.choose(null, 0, 0)).equals("b")) {
                b++;
            }
        }
        assertEquals(1000, b, "b chosen " + b + " of 1000 while a has 50 in flight");
        states.get("http://b").inFlight.set(17); // 50/3 < 17/1
        assertEquals("a", host(g.choose(null, 0, 0)));
    }

    @Test
    void should_move_only_the_removed_targets_keys_with_consistent_hashing() throws Exception {
        TargetGroup four = group("hash:header:X-User", "http://a 1", "http://b 1", "http://c 1", "http://d 1");
        TargetGroup three = group("hash:header:X-User", "http://a 1", "http://b 1", "http://d 1");
        int moved = 0;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            String user = "user-" + i;
            String before = host(four.choose(exchange(four, "10.0.0.1", user), 0, 0));
            String after = host(three.choose(exchange(three, "10.0.0.1", user), 0, 0));
            counts.merge(before, 1, Integer::sum);
            assertEquals(before, host(four.choose(exchange(four, "10.0.0.9", user), 0, 0)), "the same key, the same target");
            if (!before.equals("c")) {
                assertEquals(before, after, "a key not on c stays where it was");
            } else {
                moved++;
            }
        }
        // c had about a quarter of the keys
        assertTrue(moved > 1_800 && moved < 3_200, "moved " + moved);
        counts.values().forEach(n -> assertTrue(n > 1_800 && n < 3_200, "spread " + counts));
    }

    @Test
    void should_hash_by_client_ip_and_fall_back_to_the_next_point_when_its_target_is_excluded() throws Exception {
        TargetGroup g = group("hash:ip", "http://a 1", "http://b 1", "http://c 1");
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Exchange e = exchange(g, "10.0.0." + i, null);
            TargetGroup.Member m = g.choose(e, 0, 0);
            firsts.add(host(m));
            TargetGroup.Member other = g.choose(e, 1L << m.index(), 0);
            assertNotEquals(m.index(), other.index());
        }
        assertTrue(firsts.stream().distinct().count() == 3, "spread " + firsts);
    }

    @Test
    void should_balance_a_request_without_its_hash_key_round_robin() throws Exception {
        TargetGroup g = group("hash:header:X-User", "http://a 1", "http://b 1");
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            order.append(host(g.choose(exchange(g, "10.0.0.1", null), 0, 0)));
        }
        assertEquals("abab", order.toString());
    }

    @Test
    void should_skip_a_target_whose_breaker_is_open() throws Exception {
        TargetGroup g = group("round-robin", "http://a 1", "http://b 1");
        TargetState a = states.get("http://a");
        long now = System.nanoTime();
        a.acquire(now, g.config.circuitBreaker());
        a.end(false, now, g.config.circuitBreaker());
        a.acquire(now, g.config.circuitBreaker());
        a.end(true, now, g.config.circuitBreaker()); // 1 of 2 failed: 50% with minRequests 2
        assertEquals(1, a.breakerState());
        for (int i = 0; i < 4; i++) {
            assertEquals("b", host(g.choose(null, 0, now)));
        }
    }
}
