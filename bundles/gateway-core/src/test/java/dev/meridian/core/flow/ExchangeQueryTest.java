package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/** The query the upstream receives after a policy takes a parameter out (SPI 1.4). */
@Timeout(60)
class ExchangeQueryTest {

    @Test
    void should_remove_every_pair_of_the_name_and_keep_the_others_as_sent() {
        assertEquals("page=2&x=%2F1", Exchange.withoutParameter("page=2&api_key=k1&x=%2F1&api_key=k2", "api_key"));
        assertEquals("a=1", Exchange.withoutParameter("api_key=k&a=1", "api_key"));
        assertEquals("a=1", Exchange.withoutParameter("a=1&api_key=k", "api_key"));
        assertEquals("a=1", Exchange.withoutParameter("a=1&api_key", "api_key"), "a name without a value goes too");
        assertEquals("a=1&b=2", Exchange.withoutParameter("a=1&&api_key=k&b=2", "api_key"), "empty pairs go");
        assertNull(Exchange.withoutParameter("api_key=k", "api_key"), "nothing left: no query, no '?'");
        assertNull(Exchange.withoutParameter("api_key=k&api_key=", "api_key"));
    }

    @Test
    void should_leave_other_names_that_share_a_prefix_or_a_suffix() {
        String query = "xapi_key=1&api_key2=2&api_keys=3&v=api_key";
        assertEquals(query, Exchange.withoutParameter(query, "api_key"));
        assertEquals("api_key=1", Exchange.withoutParameter("api%5Fkey=2&api_key=1", "api%5Fkey"), "names compared as sent");
    }

    @Test
    void should_answer_no_query_alike() {
        assertNull(Exchange.withoutParameter(null, "api_key"));
        assertEquals("a=1", Exchange.withoutParameter("a=1", ""));
    }

    @Test
    void should_show_policies_and_the_upstream_the_query_less_the_parameter_and_the_cache_the_client_query() throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: q", "basePath: /q",
            "upstream: { url: 'http://127.0.0.1:9/' }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(), new ApiMetrics("q"));
        Exchange e = new Exchange(new RouteTable(1, 1, List.of(route)), route, "GET", "/q/x", "api_key=k&a=1", "id",
            "127.0.0.1", System.nanoTime(), new ListFields());

        e.removeQueryParameter("api_key");

        assertEquals(Optional.of("a=1"), e.query());
        assertEquals("a=1", e.upstreamQuery());
        assertEquals("api_key=k&a=1", e.rawQuery(), "the cache keys on the client's query");
        e.removeQueryParameter("a");
        assertEquals(Optional.empty(), e.query());
        assertNull(e.upstreamQuery());
    }
}
