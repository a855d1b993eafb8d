package dev.meridian.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.Body;
import dev.meridian.core.flow.BodyTap;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.ListFields;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;

/**
 * The cache's part of a request as steps, without Jetty or Camel: lookups answering hits and
 * preparing misses, the body tapped and stored, a client's conditional answered 304, an unsafe
 * request invalidating its URL and the ones it names, stale-if-error, only-if-cached.
 */
@Timeout(10)
class CacheFlowTest {

    private final RouteCacheTest.MemoryStore store = new RouteCacheTest.MemoryStore();
    private final Generations generations = new Generations();
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private final List<String> invalidated = new ArrayList<>();
    private final CompletableFuture<Void> invalidation = new CompletableFuture<>();
    private final LocalTier tier = new LocalTier(64L << 20);
    private RouteCache routeCache;
    private final Route route;
    private final RouteTable table;
    private final CacheFlow flow;

    CacheFlowTest() throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: orders", "basePath: /orders",
            "upstream: { url: 'http://127.0.0.1:9000/v1', timeout: 2s }", "cache: { ttl: 0s }", "")
            .getBytes(StandardCharsets.UTF_8), Format.YAML);
        route = new Route(api, List.of(), new ApiMetrics("orders"));
        table = new RouteTable(1, 1, List.of(route));
        ResponseCache responses = new ResponseCache() {
            @Override
            public RouteCache forApi(ApiDefinition a) {
                if (routeCache == null) {
                    routeCache = CacheSupport.routeCache(a.id(), CacheRules.of(a.cache()).orElseThrow(), store, generations,
                        new CacheStats(), now::get, new RouteCache.Limits(1 << 20, 3_600_000), tier,
                        (id, path, query) -> {
                            invalidated.add(path + (query == null ? "" : "?" + query));
                            return invalidation;
                        }, new TagCounts(100));
                    CacheSupport.markReady(routeCache);
                }
                return routeCache;
            }

            @Override
            public Invalidation invalidate(String a, List<String> keys, List<String> tags) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Map<String, Object> nodeStats() {
                return Map.of();
            }

            @Override
            public List<Map<String, Object>> clusterStats() {
                return List.of();
            }

            @Override
            public Map<String, Long> entries() {
                return Map.of();
            }
        };
        flow = new CacheFlow(() -> responses, () -> null);
    }

    private Exchange exchange(String method, String path, String... headers) {
        ListFields fields = new ListFields();
        for (int i = 0; i < headers.length; i += 2) {
            fields.add(headers[i], headers[i + 1]);
        }
        int q = path.indexOf('?');
        return new Exchange(table, route, method, q < 0 ? path : path.substring(0, q), q < 0 ? null : path.substring(q + 1),
            "id", "127.0.0.1", System.nanoTime(), fields);
    }

    /** A body the test pushes through whatever tapped it. */
    static final class PushedBody implements Body {
        final long length;
        BodyTap tap;
        Throwable discarded;

        PushedBody(long length) {
            this.length = length;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void tap(BodyTap t) {
            tap = t;
        }

        @Override
        public void discard(Throwable why) {
            discarded = why;
        }

        CompletionStage<Void> push(String text) {
            return tap.chunk(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer(), true);
        }
    }

    /** Lookup, a stand-in upstream answer, the after-upstream step and the before-write of one request. */
    private Exchange request(Exchange e, int status, String body, String... responseHeaders) {
        assertTrue(flow.lookup().run(e, () -> { }), "answered by this node's memory: synchronous");
        if (!e.answered()) {
            ListFields fields = new ListFields();
            for (int i = 0; i < responseHeaders.length; i += 2) {
                fields.add(responseHeaders[i], responseHeaders[i + 1]);
            }
            PushedBody b = new PushedBody(body.length());
            e.answer(new Answer.Upstream(status, fields, b));
            assertTrue(flow.afterUpstream().run(e, () -> { }));
            CompletionStage<Void> ready = flow.beforeWrite(e);
            if (ready == null && b.tap != null) {
                CompletionStage<Void> held = b.push(body); // null: passed on at once (the memory store is synchronous)
                if (held != null) {
                    held.toCompletableFuture().join();
                }
            }
            return e;
        }
        flow.beforeWrite(e);
        return e;
    }

    @Test
    void should_store_a_tapped_answer_and_answer_the_next_request_before_any_pipeline() {
        Exchange miss = request(exchange("GET", "/orders/1"), 200, "one", "Cache-Control", "max-age=60", "ETag", "\"v1\"");
        assertEquals("MISS", flow.outcome(miss));
        Exchange hit = exchange("GET", "/orders/1");
        assertTrue(flow.answeredBeforePipeline(hit));
        Answer.Stored stored = assertInstanceOf(Answer.Stored.class, hit.answer());
        assertEquals("one", new String(stored.body(), StandardCharsets.UTF_8));
        assertEquals("0", stored.headers().first("Age"));
        assertEquals("HIT", flow.outcome(hit));
    }

    @Test
    void should_answer_a_plain_fresh_hit_at_once_and_leave_every_other_request_untouched() {
        Exchange first = exchange("GET", "/orders/f1");
        assertFalse(flow.answeredIfFreshHit(first), "nothing stored");
        assertNull(first.answer());
        assertNull(flow.outcome(first), "no outcome: the usual way decides, and counts, this request");
        request(first, 200, "f1", "Cache-Control", "max-age=60", "ETag", "\"f1\"");
        assertEquals("MISS", flow.outcome(first), "the request it left alone led the fill as usual");

        Exchange hit = exchange("HEAD", "/orders/f1");
        assertTrue(flow.answeredIfFreshHit(hit));
        Answer.Stored stored = assertInstanceOf(Answer.Stored.class, hit.answer());
        assertEquals("f1", new String(stored.body(), StandardCharsets.UTF_8));
        assertEquals("HIT", flow.outcome(hit));
        assertNull(flow.beforeWrite(hit), "nothing to wait for");
        assertEquals(200, ((Answer.Stored) hit.answer()).status());

        for (String[] h : new String[][] {{"If-None-Match", "\"f1\""}, {"If-Modified-Since", "Sun, 06 Dec 2026 00:00:00 GMT"},
            {"If-Match", "\"f1\""}, {"If-Range", "\"f1\""}, {"Cookie", "a=b"}, {"Cache-Control", "no-cache"}}) {
            Exchange other = exchange("GET", "/orders/f1", h[0], h[1]);
            assertFalse(flow.answeredIfFreshHit(other), h[0]);
            assertNull(other.answer(), h[0]);
            assertNull(flow.outcome(other), h[0] + ": left to the usual way");
        }
        assertFalse(flow.answeredIfFreshHit(exchange("POST", "/orders/f1")));
        assertTrue(flow.answeredBeforePipeline(exchange("GET", "/orders/f1", "If-None-Match", "\"f1\"")),
            "the usual way answers what it was left");
        now.addAndGet(61_000);
        assertFalse(flow.answeredIfFreshHit(exchange("GET", "/orders/f1")), "expired: the usual way refreshes it");
    }

    @Test
    void should_neither_answer_nor_store_a_request_with_a_cookie_when_the_api_is_not_shared() {
        request(exchange("GET", "/orders/c1"), 200, "for everyone", "Cache-Control", "max-age=60");
        Exchange withCookie = exchange("GET", "/orders/c1", "Cookie", "session=alice");
        assertFalse(flow.answeredBeforePipeline(withCookie), "a stored answer is not served to a request with a cookie");
        request(withCookie, 200, "alice's page", "Cache-Control", "max-age=60");
        assertEquals("BYPASS", flow.outcome(withCookie));

        Exchange personal = request(exchange("GET", "/orders/c2", "Cookie", "session=alice"), 200, "alice's page",
            "Cache-Control", "max-age=60");
        assertEquals("BYPASS", flow.outcome(personal));
        Exchange anonymous = exchange("GET", "/orders/c2");
        assertFalse(flow.answeredBeforePipeline(anonymous), "the answer to a request with a cookie was not stored");
    }

    @Test
    void should_answer_a_clients_own_conditional_with_a_304_from_the_entry() {
        request(exchange("GET", "/orders/2"), 200, "two", "Cache-Control", "max-age=60", "ETag", "\"v2\"");
        Exchange conditional = exchange("GET", "/orders/2", "If-None-Match", "\"v2\"");
        assertTrue(flow.answeredBeforePipeline(conditional));
        assertNull(flow.beforeWrite(conditional));
        Answer.Stored a = assertInstanceOf(Answer.Stored.class, conditional.answer());
        assertEquals(304, a.status());
        assertEquals("\"v2\"", a.headers().first("ETag"), "RFC 9110 §15.4.5");
        assertEquals(0, a.body().length);
    }

    @Test
    void should_hold_an_unsafe_answer_until_its_url_and_the_urls_it_names_are_invalidated() {
        Exchange post = exchange("POST", "/orders?x=1", "Host", "gw.example");
        assertTrue(flow.lookup().run(post, () -> { }));
        assertEquals("BYPASS", flow.outcome(post));
        ListFields fields = new ListFields();
        fields.add("Location", "/orders/43");
        fields.add("Content-Location", "http://elsewhere.example/orders/44");
        post.answer(new Answer.Upstream(201, fields, new PushedBody(0)));
        assertTrue(flow.afterUpstream().run(post, () -> { }));
        CompletionStage<Void> ready = flow.beforeWrite(post);
        assertNotNull(ready, "the writer waits");
        assertEquals(List.of("/orders?x=1", "/orders/43"), invalidated, "its URL and the same-origin Location, not the other host");
        assertFalse(ready.toCompletableFuture().isDone());
        invalidation.complete(null);
        assertTrue(ready.toCompletableFuture().isDone());
    }

    @Test
    void should_answer_a_failed_upstream_from_a_stale_entry_within_stale_if_error() {
        request(exchange("GET", "/orders/3"), 200, "three", "Cache-Control", "max-age=1, stale-if-error=60");
        now.addAndGet(5_000);
        Exchange e = exchange("GET", "/orders/3");
        assertTrue(flow.lookup().run(e, () -> { }));
        assertFalse(e.answered(), "expired: a miss");
        PushedBody failing = new PushedBody(0);
        e.answer(new Answer.Upstream(503, new ListFields(), failing));
        assertTrue(flow.afterUpstream().run(e, () -> { }));
        Answer.Stored stale = assertInstanceOf(Answer.Stored.class, e.answer());
        assertEquals("three", new String(stale.body(), StandardCharsets.UTF_8));
        assertEquals("STALE", flow.outcome(e));
        assertNotNull(failing.discarded, "the upstream's body is dropped");
    }

    @Test
    void should_answer_only_if_cached_with_504_without_the_upstream() {
        Exchange e = exchange("GET", "/orders/4", "Cache-Control", "only-if-cached");
        assertTrue(flow.lookup().run(e, () -> { }));
        Answer.Rejection r = assertInstanceOf(Answer.Rejection.class, e.answer());
        assertEquals(504, r.status());
    }

    @Test
    void should_revalidate_an_expired_entry_and_answer_from_it_on_a_304() {
        request(exchange("GET", "/orders/5"), 200, "five", "Cache-Control", "max-age=1", "ETag", "\"v5\"");
        now.addAndGet(5_000);
        Exchange e = exchange("GET", "/orders/5");
        assertTrue(flow.lookup().run(e, () -> { }));
        assertEquals("\"v5\"", e.requestFields().first("If-None-Match"), "the cache's own conditional");
        e.answer(new Answer.Upstream(304, new ListFields(List.of(Map.entry("Cache-Control", "max-age=60"))), new PushedBody(0)));
        assertTrue(flow.afterUpstream().run(e, () -> { }));
        Answer.Stored renewed = assertInstanceOf(Answer.Stored.class, e.answer());
        assertEquals(200, renewed.status());
        assertEquals("five", new String(renewed.body(), StandardCharsets.UTF_8));
        assertTrue(flow.answeredBeforePipeline(exchange("GET", "/orders/5")), "fresh again");
    }

    @Test
    void should_release_a_miss_that_a_rejection_replaced() {
        Exchange e = exchange("GET", "/orders/6");
        assertTrue(flow.lookup().run(e, () -> { }));
        e.answer(new Answer.Rejection(429, "slow down"));
        assertNull(flow.beforeWrite(e));
        Exchange next = exchange("GET", "/orders/6");
        assertTrue(flow.lookup().run(next, () -> { }), "not waiting for a leader that will never store");
        assertFalse(next.answered());
    }
}
