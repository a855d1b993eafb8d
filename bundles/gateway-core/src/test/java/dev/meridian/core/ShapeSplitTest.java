package dev.meridian.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.model.Split;
import dev.meridian.policy.api.PolicyRequest;

class ShapeSplitTest {

    @Test
    void should_put_fixed_keys_in_fixed_buckets_on_every_jvm() {
        // pinned: FNV-1a 64 over "pricing" 0x00 key (UTF-8), murmur3 fmix64, mod 10,000. A change
        // here moves users between shapes on a rolling upgrade: it must never change silently.
        assertEquals(3311, ShapeSplit.bucket("pricing", "alice"));
        assertEquals(4205, ShapeSplit.bucket("pricing", "bob"));
        assertEquals(6112, ShapeSplit.bucket("pricing", "10.0.0.1"));
        assertEquals(8719, ShapeSplit.bucket("pricing", ""));
        assertEquals(9668, ShapeSplit.bucket("pricing", "é-ü-中"));
        assertEquals(9180, ShapeSplit.bucket("orders", "alice")); // the API id salts the hash
    }

    @Test
    void should_send_the_weight_share_of_many_keys_to_the_shape() throws Exception {
        for (String weight : List.of("0.5%", "5%", "20%", "50%")) {
            Fixture f = fixture("{shape: v2, weight: " + weight + "}");
            int n = 100_000;
            int toShape = 0;
            for (int i = 0; i < n; i++) {
                if (f.split.route(f.split.bucket("user-" + i), f.main) != f.main) {
                    toShape++;
                }
            }
            double expected = f.api.split().to().get(0).basisPoints() / 100.0;
            double measured = 100.0 * toShape / n;
            System.out.printf("split %s over %d keys: %.3f%% to v2%n", weight, n, measured);
            assertEquals(expected, measured, 0.5, weight);
        }
    }

    @Test
    void should_only_move_users_from_main_when_a_weight_rises() throws Exception {
        String[] steps = {"{shape: v2, weight: 5%}", "{shape: v2, weight: 20%}", "{shape: v2, weight: 100%}"};
        Map<String, String> before = new HashMap<>();
        int moved = 0;
        int backToMain = 0;
        for (String step : steps) {
            Fixture f = fixture(step);
            for (int i = 0; i < 20_000; i++) {
                String key = "user-" + i;
                String now = f.split.route(f.split.bucket(key), f.main).shape();
                String was = before.put(key, now);
                if (was != null && !was.equals(now)) {
                    moved++;
                    if (now.equals("main")) {
                        backToMain++;
                    }
                }
            }
        }
        assertEquals(0, backToMain);
        assertEquals(20_000, before.values().stream().filter("v2"::equals).count());
        assertTrue(moved > 0);
    }

    @Test
    void should_lay_shapes_out_in_list_order_so_raising_the_last_moves_main_users_only() throws Exception {
        Fixture small = fixture("{shape: v2, weight: 10%}, {shape: v3, weight: 5%}");
        Fixture raised = fixture("{shape: v2, weight: 10%}, {shape: v3, weight: 30%}");
        int fromMain = 0;
        for (int i = 0; i < 20_000; i++) {
            int b = small.split.bucket("user-" + i);
            String was = small.split.route(b, small.main).shape();
            String now = raised.split.route(b, raised.main).shape();
            if (!was.equals(now)) {
                assertEquals("main", was, "user-" + i);
                assertEquals("v3", now);
                fromMain++;
            }
        }
        assertTrue(fromMain > 0);
        assertEquals("v2", small.split.route(0, small.main).shape());
        assertEquals("v2", small.split.route(999, small.main).shape());
        assertEquals("v3", small.split.route(1000, small.main).shape());
        assertEquals("v3", small.split.route(1499, small.main).shape());
        assertSame(small.main, small.split.route(1500, small.main));
    }

    @Test
    void should_read_each_kind_of_key_and_fall_back_to_the_client_address() throws Exception {
        Request r = new Request("192.0.2.7");
        assertEquals("192.0.2.7", fixture("consumer", "{shape: v2, weight: 5%}").split.key(r));
        r.attributes.put(PolicyRequest.CONSUMER, "team-a");
        assertEquals("team-a", fixture("consumer", "{shape: v2, weight: 5%}").split.key(r));
        assertEquals("192.0.2.7", fixture("ip", "{shape: v2, weight: 5%}").split.key(r));
        assertEquals("192.0.2.7", fixture("'header:X-User'", "{shape: v2, weight: 5%}").split.key(r));
        r.headers.put("X-User", List.of("u1", "u2"));
        assertEquals("u1", fixture("'header:X-User'", "{shape: v2, weight: 5%}").split.key(r));
        ShapeSplit cookie = fixture("'cookie:ab'", "{shape: v2, weight: 5%}").split;
        assertNull(cookie.key(r));
        r.headers.put("Cookie", List.of("x=1; abc=2", "ab=\"xyz\"; y=3"));
        assertEquals("xyz", cookie.key(r));
        assertTrue(cookie.setCookie("0123").startsWith("ab=0123; Path=/p;"), cookie.setCookie("0123"));
        assertTrue(cookie.setCookie("0123").contains("HttpOnly") && cookie.setCookie("0123").contains("SameSite=Lax"));
        String id = ShapeSplit.newCookieValue();
        assertEquals(32, id.length());
        assertNotEquals(id, ShapeSplit.newCookieValue());
    }

    @Test
    void should_read_a_cookie_among_others() {
        assertEquals("v", ShapeSplit.cookie(List.of("a=v"), "a"));
        assertEquals("v", ShapeSplit.cookie(List.of("b=1;a=v"), "a"));
        assertEquals("v", ShapeSplit.cookie(List.of("b=1", " a = v ; c=2"), "a"));
        assertNull(ShapeSplit.cookie(List.of("ab=1; b=a"), "a"));
        assertNull(ShapeSplit.cookie(List.of("a="), "a"));
        assertNull(ShapeSplit.cookie(List.of(), "a"));
    }

    private record Fixture(ApiDefinition api, Route main, ShapeSplit split) {
    }

    private static Fixture fixture(String to) throws Exception {
        return fixture("ip", to);
    }

    private static Fixture fixture(String stickyBy, String to) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(("id: pricing\nbasePath: /p\nupstream: {url: 'http://127.0.0.1:9'}\n"
            + "split: {stickyBy: " + stickyBy + ", to: [" + to + "]}\n"
            + "shapes: {v2: {upstream: {url: 'http://127.0.0.1:10'}}, v3: {upstream: {url: 'http://127.0.0.1:11'}}}\n")
            .getBytes(StandardCharsets.UTF_8), Format.YAML);
        List<Route> shapes = api.split().to().stream().map(Split.Share::shape).map(name -> Route.forShape(api, name,
            api.shapes().get(name).upstream(), Redaction.NONE, List.of(), List.of(), new ApiMetrics("pricing/" + name)))
            .toList();
        ShapeSplit split = new ShapeSplit(api.id(), api.basePath(), api.split(), shapes);
        Route main = new Route(api, api.upstream(), Redaction.NONE, List.of(), new ApiMetrics("pricing"), split);
        return new Fixture(api, main, split);
    }

    /** A request's facts for key reading. */
    private static final class Request implements PolicyRequest {
        final Map<String, Object> attributes = new HashMap<>();
        final Map<String, List<String>> headers = new HashMap<>();
        final String client;

        Request(String client) {
            this.client = client;
        }

        @Override public String method() { return "GET"; }
        @Override public String path() { return "/p"; }
        @Override public Optional<String> query() { return Optional.empty(); }
        @Override public String apiId() { return "pricing"; }
        @Override public long revision() { return 1; }
        @Override public String clientAddress() { return client; }
        @Override public String peerAddress() { return client; }
        @Override public Optional<String> header(String name) { return headers(name).stream().findFirst(); }
        @Override public List<String> headers(String name) { return headers.getOrDefault(name, List.of()); }
        @Override public void setHeader(String name, String value) { headers.put(name, List.of(value)); }
        @Override public void addHeader(String name, String value) { throw new UnsupportedOperationException(); }
        @Override public void removeHeader(String name) { headers.remove(name); }
        @Override public Map<String, Object> attributes() { return attributes; }
    }
}
