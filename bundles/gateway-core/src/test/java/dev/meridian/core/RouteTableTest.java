package dev.meridian.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionException;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Policy;

class RouteTableTest {

    private static Route route(String id, String basePath) throws DefinitionException {
        String yaml = "id: " + id + "\nbasePath: '" + basePath + "'\nupstream: {url: 'http://127.0.0.1:9000'}\n";
        ApiDefinition api = DefinitionParser.parseOne(yaml.getBytes(StandardCharsets.UTF_8), Format.YAML);
        return new Route(api, List.of(), new ApiMetrics(id));
    }

    private static RouteTable table(Route... routes) {
        return new RouteTable(1, 1, Arrays.asList(routes));
    }

    @Test
    void should_match_basePath_itself_and_paths_below_it() throws Exception {
        Route orders = route("orders", "/orders");
        RouteTable table = table(orders);

        assertSame(orders, table.match("/orders"));
        assertSame(orders, table.match("/orders/"));
        assertSame(orders, table.match("/orders/1"));
        assertSame(orders, table.match("/orders/1/lines/2"));
    }

    @Test
    void should_not_match_when_basePath_is_only_a_prefix_of_a_segment() throws Exception {
        RouteTable table = table(route("orders", "/orders"));

        assertNull(table.match("/ordersx"));
        assertNull(table.match("/ordersx/1"));
        assertNull(table.match("/order"));
        assertNull(table.match("/"));
        assertNull(table.match("/other/orders"));
    }

    @Test
    void should_prefer_longest_basePath() throws Exception {
        Route orders = route("orders", "/orders");
        Route special = route("special", "/orders/special");
        Route deep = route("deep", "/orders/special/deep");
        RouteTable table = table(orders, special, deep);

        assertSame(special, table.match("/orders/special"));
        assertSame(special, table.match("/orders/special/1"));
        assertSame(deep, table.match("/orders/special/deep/x"));
        assertSame(orders, table.match("/orders/specialx"));
        assertSame(orders, table.match("/orders/1/special"));
    }

    @Test
    void should_fall_back_to_root_basePath_as_catch_all() throws Exception {
        Route root = route("root", "/");
        Route orders = route("orders", "/orders");
        RouteTable table = table(root, orders);

        assertSame(root, table.match("/"));
        assertSame(root, table.match("/ordersx"));
        assertSame(root, table.match("/a/b/c"));
        assertSame(orders, table.match("/orders/1"));
    }

    @Test
    void should_return_null_when_table_is_empty() {
        RouteTable empty = RouteTable.empty();

        assertNull(empty.match("/"));
        assertNull(empty.match("/orders"));
        assertEquals(0, empty.revision());
        assertEquals(List.of(), empty.routes());
    }

    @Test
    void should_count_in_flight_requests_between_acquire_and_release() {
        RouteTable table = RouteTable.empty();
        assertEquals(0, table.inFlight());

        table.acquire();
        table.acquire();
        assertEquals(2, table.inFlight());

        table.release();
        assertEquals(1, table.inFlight());
        table.release();
        assertEquals(0, table.inFlight());
    }

    @Test
    void should_count_in_flight_requests_from_many_threads() throws Exception {
        RouteTable table = RouteTable.empty();
        Thread[] threads = new Thread[8];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> {
                for (int n = 0; n < 10_000; n++) {
                    table.acquire();
                    table.release();
                }
                table.acquire();
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }

        assertEquals(threads.length, table.inFlight());
    }

    @Test
    void should_keep_revision_generation_and_routes() throws Exception {
        Route a = route("a", "/a");
        RouteTable table = new RouteTable(7, 12, List.of(a));

        assertEquals(7, table.revision());
        assertEquals(12, table.generation());
        assertEquals(List.of(a), table.routes());
    }

    // ---- run order

    private static Policy at(int order) {
        return new Policy() {
            @Override
            public int order() {
                return order;
            }
        };
    }

    @Test
    void should_hold_the_chain_in_run_order_edge_first_and_definition_order_among_equals() throws Exception {
        ApiDefinition api = route("a", "/a").api();
        Policy auth = at(0);
        Policy limit = at(0);
        Policy cors = at(Policy.ORDER_EDGE);
        Policy late = at(100);

        Route route = new Route(api, List.of(auth, late, limit, cors), new ApiMetrics("a"));

        assertEquals(List.of(cors, auth, limit, late),
            List.of(route.policy(0), route.policy(1), route.policy(2), route.policy(3)));
    }

    @Test
    void should_name_the_policy_and_the_api_when_order_throws() throws Exception {
        ApiDefinition api = route("a", "/a").api();
        Policy broken = new Policy() {
            @Override
            public int order() {
                throw new IllegalStateException("not configured");
            }
        };

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new Route(api, List.of(broken), new ApiMetrics("a")));

        assertTrue(e.getMessage().contains("of API a failed to tell its order"), e.getMessage());
    }

    @Test
    void should_admit_preflights_only_for_a_chain_with_an_edge_policy() throws Exception {
        ApiDefinition api = route("a", "/a").api();

        assertTrue(new Route(api, List.of(at(0), at(Policy.ORDER_EDGE)), new ApiMetrics("a")).admitsPreflight());
        assertTrue(new Route(api, List.of(at(Policy.ORDER_EDGE - 1)), new ApiMetrics("a")).admitsPreflight());
        assertFalse(new Route(api, List.of(at(0), at(-999)), new ApiMetrics("a")).admitsPreflight());
        assertFalse(new Route(api, List.of(), new ApiMetrics("a")).admitsPreflight());
    }
}
