package dev.meridian.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.meridian.policy.api.ApiConsumer;
import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyConfigException;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;
import dev.meridian.policy.ratelimit.Requests.Request;
import dev.meridian.policy.ratelimit.Requests.Response;

/** The policy as the engine runs it: made by its factory from a definition's entry, request and response phases. */
class RateLimitPolicyTest {

    private final MemoryCluster cluster = new MemoryCluster();
    private final List<Runnable> timers = new ArrayList<>();
    private final RateLimitFactory factory = new RateLimitFactory();
    private final PolicyContext context = new Context();

    private Policy policy(Object... kv) throws PolicyConfigException {
        Map<String, Object> config = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            config.put((String) kv[i], kv[i + 1]);
        }
        return factory.create(config, context);
    }

    /** The decision, landing the cluster's answers for a pending one. */
    private Decision decide(Policy policy, PolicyRequest request) throws Exception {
        Decision d = policy.onRequest(request);
        if (d instanceof Decision.Pending p) {
            cluster.land();
            return p.stage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        return d;
    }

    private static boolean admitted(Decision d) {
        return d == Decision.proceed();
    }

    @Test
    void should_answer_429_with_retry_after_and_the_draft_headers_past_the_limit() throws Exception {
        Policy policy = policy("limit", 3L, "per", "10s", "key", "ip", "scope", "node");
        cluster.clock.advance(2_500); // 7.5 s left in the window
        for (int i = 0; i < 3; i++) {
            Request r = Requests.from("192.0.2.7");
            assertTrue(admitted(decide(policy, r)));
            Response ok = new Response(200);
            assertEquals(Decision.proceed(), policy.onResponse(r, ok));
            assertEquals("\"ip\";q=3;w=10", ok.headers.get("RateLimit-Policy"));
            assertEquals("\"ip\";r=" + (2 - i) + ";t=8", ok.headers.get("RateLimit"));
        }
        Decision.Reject reject = assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("192.0.2.7")));
        assertEquals(429, reject.status());
        assertEquals("rate limit exceeded", reject.message());
        assertEquals(Map.of("Retry-After", "8", "RateLimit-Policy", "\"ip\";q=3;w=10", "RateLimit", "\"ip\";r=0;t=8"),
            reject.headers());
        Response limited = new Response(429);
        policy.onResponse(Requests.from("192.0.2.7"), limited);
        assertEquals(Map.of(), limited.headers, "a request this policy did not admit gets no second set of headers");

        cluster.clock.advance(7_500);
        assertTrue(admitted(decide(policy, Requests.from("192.0.2.7"))), "the next window starts at 0");
        assertEquals(0, cluster.takes.get(), "scope node: no cluster call");
    }

    @Test
    void should_count_each_ip_apart_and_every_request_of_an_api_together() throws Exception {
        Policy byIp = policy("limit", 2L, "per", "1s", "key", "ip", "scope", "node");
        Policy byApi = policy("limit", 2L, "per", "1s", "key", "api", "scope", "node");
        for (String ip : List.of("10.0.0.1", "10.0.0.2", "10.0.0.3")) {
            assertTrue(admitted(decide(byIp, Requests.from(ip))));
            assertTrue(admitted(decide(byIp, Requests.from(ip))));
            assertEquals(429, ((Decision.Reject) decide(byIp, Requests.from(ip))).status(), ip);
        }
        assertTrue(admitted(decide(byApi, Requests.from("10.0.0.1"))));
        assertTrue(admitted(decide(byApi, Requests.from("10.0.0.2"))));
        assertInstanceOf(Decision.Reject.class, decide(byApi, Requests.from("10.0.0.3")), "one count for the API");
        assertTrue(admitted(decide(byApi, new Request("billing", "10.0.0.3"))), "another API has its own");
    }

    @Test
    void should_count_by_consumer_and_fall_back_to_the_client_address_without_one() throws Exception {
        Policy policy = policy("limit", 1L, "per", "1s", "key", "consumer", "scope", "node");
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").consumer("alice"))));
        assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("10.0.0.2").consumer("alice")),
            "alice from another address: the same count");
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").consumer("bob"))));
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1"))), "anonymous: counted by address, apart from alice");
        assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("10.0.0.1")));
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.9"))));
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").consumer("ip:10.0.0.1"))),
            "a consumer named like an address is not that address");
    }

    @Test
    void should_count_by_header_with_one_shared_count_for_requests_without_it() throws Exception {
        Policy policy = policy("limit", 1L, "per", "1s", "key", "header:X-Tenant", "scope", "node");
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").header("x-tenant", "acme"))));
        assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("10.0.0.2").header("X-Tenant", "acme")));
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").header("X-Tenant", "globex"))));
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1"))));
        assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("10.0.0.2")), "absent: one shared count");
        String huge = "t".repeat(8_000);
        assertTrue(admitted(decide(policy, Requests.from("10.0.0.1").header("X-Tenant", huge))));
        assertInstanceOf(Decision.Reject.class, decide(policy, Requests.from("10.0.0.1").header("X-Tenant", huge)),
            "a long value is counted by its digest, still one count");
    }

    @Test
    void should_keep_the_windows_count_across_an_apply_that_changes_the_limit() throws Exception {
        for (String scope : List.of("node", "cluster")) {
            Policy before = policy("limit", 5L, "per", "1m", "key", "api", "scope", scope);
            for (int i = 0; i < 5; i++) {
                assertTrue(admitted(decide(before, new Request(scope, "10.0.0.1"))), scope + " " + i);
            }
            assertInstanceOf(Decision.Reject.class, decide(before, new Request(scope, "10.0.0.1")));
            Policy after = policy("limit", 8L, "per", "1m", "key", "api", "scope", scope);
            int admitted = 0;
            for (int i = 0; i < 10; i++) {
                admitted += admitted(decide(after, new Request(scope, "10.0.0.1"))) ? 1 : 0;
            }
            assertEquals(3, admitted, scope + ": 8 - the 5 already admitted in this window");
        }
    }

    @Test
    void should_answer_pending_until_the_first_lease_lands_in_cluster_scope() throws Exception {
        Policy policy = policy("limit", 100L, "per", "1s", "key", "consumer");
        Request r = Requests.from("10.0.0.1").consumer("alice");
        Decision.Pending pending = assertInstanceOf(Decision.Pending.class, policy.onRequest(r));
        assertTrue(!pending.stage().toCompletableFuture().isDone());
        cluster.land();
        assertSame(Decision.proceed(), pending.stage().toCompletableFuture().get(5, TimeUnit.SECONDS));
        Response ok = new Response(200);
        policy.onResponse(r, ok);
        assertEquals("\"consumer\";q=100;w=1", ok.headers.get("RateLimit-Policy"));
        assertEquals("\"consumer\";r=99;t=1", ok.headers.get("RateLimit"), "the cluster's 94 left + 5 leased here");
        assertSame(Decision.proceed(), policy.onRequest(Requests.from("10.0.0.1").consumer("alice")), "a leased token: at once");
    }

    @Test
    void should_bound_the_keys_a_node_holds_under_a_flood_of_addresses() throws Exception {
        Limiter small = new Limiter(cluster, cluster.clock, 100);
        RateLimitConfig config = RateLimitConfig.parse(Map.of("limit", 5L, "per", "1s", "key", "ip", "scope", "node"));
        Policy policy = new RateLimitPolicy(config, small);
        int admitted = 0;
        for (int i = 0; i < 10_000; i++) {
            admitted += admitted(decide(policy, Requests.from("10." + (i >> 16) + "." + (i >> 8 & 255) + "." + (i & 255))))
                ? 1 : 0;
        }
        assertEquals(101, small.size(), "100 addresses and the overflow count");
        assertEquals(100 + 5, admitted, "the 100 first addresses once each; every later one shares the overflow's 5");
        cluster.clock.advance(1_000);
        small.sweep();
        assertEquals(0, small.size(), "ended windows swept");
        assertTrue(admitted(decide(policy, Requests.from("10.200.0.1"))), "room again");
    }

    @Test
    void should_make_one_limiter_per_factory_swept_by_its_scheduler() throws Exception {
        policy("limit", 1L, "per", "1s", "scope", "node");
        policy("limit", 2L, "per", "1s", "scope", "node");
        assertEquals(1, timers.size(), "one sweep timer for every policy of the factory");
        Policy p = policy("limit", 1L, "per", "1s", "key", "ip", "scope", "node");
        decide(p, Requests.from("10.0.0.1"));
        cluster.clock.advance(1_000);
        timers.get(0).run();
        assertEquals(0, factory.limiter(context).size());
    }

    private final class Context implements PolicyContext {
        @Override
        public OutboundHttp http() {
            throw new UnsupportedOperationException("rate-limit makes no HTTP call");
        }

        @Override
        public SharedState state(String name) {
            assertEquals("rate-limit.windows", name);
            return cluster;
        }

        @Override
        public Scheduler scheduler() {
            return new Scheduler() {
                @Override
                public Future<?> schedule(Runnable task, Duration delay) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Future<?> every(Duration period, Runnable task) {
                    assertEquals(Duration.ofSeconds(1), period);
                    timers.add(task);
                    return new FutureTask<>(task, null);
                }
            };
        }

        @Override
        public Clock clock() {
            return cluster.clock;
        }

        @Override
        public Consumers consumers() {
            return new Consumers() {
                @Override
                public Optional<ApiConsumer> byKey(String presentedKey) {
                    return Optional.empty();
                }

                @Override
                public Optional<ApiConsumer> byId(String id) {
                    return Optional.empty();
                }

                @Override
                public int size() {
                    return 0;
                }
            };
        }

        @Override
        public String nodeName() {
            return "node-1";
        }
    }
}
