package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Redaction;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.ShapeSplit;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/** A split API's chain: the API's policies, then the shape's choice, then the shape's own policies. */
class SplitChainTest {

    private final PolicyChain chain = new PolicyChain((action, delay) -> () -> { });
    private final List<String> log = new ArrayList<>();

    @Test
    void should_choose_the_shape_after_the_api_policies_identified_the_consumer() throws Exception {
        Fixture f = fixture("consumer", "100%");
        Exchange e = exchange(f, null);
        assertTrue(chain.requestPhase().run(e, () -> { }));
        assertEquals(List.of("auth", "v2-own"), log);
        assertEquals("v2", e.route().shape());
        assertEquals("http://127.0.0.1:10", e.route().upstream().url().toString());
        assertEquals("consumer-7", e.attribute(PolicyRequest.CONSUMER));
        e.answer(new Answer.Stored(200, new ListFields(), new byte[0], 0));
        assertTrue(chain.responsePhase().run(e, () -> { }));
        assertEquals(List.of("auth", "v2-own", "v2-own:response", "auth:response"), log);
        assertSame(f.v2Metrics, e.route().metrics());
    }

    @Test
    void should_stay_on_main_below_the_weight_and_stamp_main() throws Exception {
        Fixture f = fixture("consumer", "0%");
        Exchange e = exchange(f, null);
        assertTrue(chain.requestPhase().run(e, () -> { }));
        assertEquals(List.of("auth"), log);
        assertEquals("main", e.route().shape());
        assertTrue(e.shapeChosen());
        assertSame(f.main, e.route());
    }

    @Test
    void should_keep_a_consumer_on_one_shape_whatever_its_address() throws Exception {
        Fixture f = fixture("consumer", "50%");
        String first = null;
        for (int i = 0; i < 50; i++) {
            Exchange e = new Exchange(new RouteTable(1, 1, List.of(f.main)), f.main, "GET", "/p/x", null, "id",
                "10.0.0." + i, System.nanoTime(), new ListFields());
            chain.requestPhase().run(e, () -> { });
            first = first == null ? e.route().shape() : first;
            assertEquals(first, e.route().shape());
        }
        int bucket = ShapeSplit.bucket("pricing", "consumer-7");
        assertEquals(bucket < 5000 ? "v2" : "main", first);
    }

    @Test
    void should_give_a_new_cookie_when_absent_and_keep_the_user_where_it_puts_them() throws Exception {
        Fixture f = fixture("'cookie:ab'", "50%");
        Exchange e = exchange(f, null);
        chain.requestPhase().run(e, () -> { });
        String setCookie = e.shapeCookie();
        assertNotNull(setCookie);
        String id = setCookie.substring(3, setCookie.indexOf(';'));
        for (int i = 0; i < 5; i++) {
            Exchange again = exchange(f, "ab=" + id);
            chain.requestPhase().run(again, () -> { });
            assertNull(again.shapeCookie());
            assertEquals(e.route().shape(), again.route().shape());
        }
    }

    @Test
    void should_not_choose_when_an_api_policy_rejects() throws Exception {
        Fixture f = fixture("ip", "100%", true);
        Exchange e = exchange(f, null);
        chain.requestPhase().run(e, () -> { });
        assertEquals(401, e.answer().status());
        assertFalse(e.shapeChosen());
        assertEquals("main", e.route().shape());
        assertEquals(List.of("auth"), log);
    }

    private record Fixture(Route main, ApiMetrics v2Metrics) {
    }

    private Fixture fixture(String stickyBy, String weight) throws Exception {
        return fixture(stickyBy, weight, false);
    }

    private Fixture fixture(String stickyBy, String weight, boolean reject) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(("id: pricing\nbasePath: /p\nupstream: {url: 'http://127.0.0.1:9'}\n"
            + "split: {stickyBy: " + stickyBy + ", to: [{shape: v2, weight: " + weight + "}]}\n"
            + "shapes: {v2: {upstream: {url: 'http://127.0.0.1:10'}}}\n").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Policy auth = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add("auth");
                request.attributes().put(PolicyRequest.CONSUMER, "consumer-7");
                return reject ? Decision.reject(401, "no") : Decision.proceed();
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add("auth:response");
                return Decision.proceed();
            }
        };
        Policy own = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add("v2-own");
                return Decision.proceed();
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add("v2-own:response");
                return Decision.proceed();
            }

            @Override
            public int order() {
                return Policy.ORDER_EDGE; // a shape's own policy still runs after the API's
            }
        };
        ApiMetrics v2Metrics = new ApiMetrics(ApiMetrics.key("pricing", "v2"));
        Route v2 = Route.forShape(api, "v2", api.shapes().get("v2").upstream(), Redaction.NONE, List.of(auth), List.of(own),
            v2Metrics);
        ShapeSplit split = new ShapeSplit(api.id(), api.basePath(), api.split(), List.of(v2));
        return new Fixture(new Route(api, api.upstream(), Redaction.NONE, List.of(auth), new ApiMetrics("pricing"), split),
            v2Metrics);
    }

    private static Exchange exchange(Fixture f, String cookie) {
        ListFields fields = new ListFields();
        if (cookie != null) {
            fields.add("Cookie", cookie);
        }
        return new Exchange(new RouteTable(1, 1, List.of(f.main)), f.main, "GET", "/p/x", null, "id", "192.0.2.1",
            System.nanoTime(), fields);
    }
}
