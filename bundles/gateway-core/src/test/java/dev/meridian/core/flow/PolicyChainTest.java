package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/** The policy chain as steps, without Jetty or Camel: order, rejections, suspension, deadlines. */
@Timeout(10)
class PolicyChainTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final PolicyChain chain = new PolicyChain((action, delay) -> {
        var f = timer.schedule(action, delay, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    });

    /** How many exchanges reached the stand-in upstream unanswered (the gateway would have called it). */
    private final AtomicInteger upstreamCalls = new AtomicInteger();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    static Exchange exchange(Policy... policies) throws Exception {
        return exchange("", "GET", policies);
    }

    /** @param methods the definition's {@code methods} line ({@code "methods: [GET]"}), or empty for every method */
    static Exchange exchange(String methods, String method, Policy... policies) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: chain", "basePath: /chain", methods,
            "upstream: { url: 'http://127.0.0.1:9/', timeout: 300ms }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(policies), new ApiMetrics("chain"));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, method, "/chain/x", null, "id", "127.0.0.1",
            System.nanoTime(), new ListFields());
    }

    /** Runs the request phase, a stand-in upstream answer, and the response phase; answers when done. */
    private CompletableFuture<Exchange> run(Exchange e) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        Step upstream = (x, next) -> {
            if (!x.answered()) {
                upstreamCalls.incrementAndGet();
                x.answer(new Answer.Stored(200, new ListFields(), new byte[0], 0));
            }
            return true;
        };
        Step[] steps = {chain.requestPhase(), upstream, chain.responsePhase()};
        runFrom(steps, 0, e, done);
        return done;
    }

    private static void runFrom(Step[] steps, int first, Exchange e, CompletableFuture<Exchange> done) {
        for (int i = first; i < steps.length; i++) {
            int next = i + 1;
            if (!steps[i].run(e, () -> runFrom(steps, next, e, done))) {
                return;
            }
        }
        done.complete(e);
    }

    private static Policy recording(String name, List<String> log) {
        return recording(name, 0, log);
    }

    /** Records its phases in {@code log} and marks the request and the answer; runs at {@code order}. */
    private static Policy recording(String name, int order, List<String> log) {
        return new Policy() {
            @Override
            public int order() {
                return order;
            }

            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add(name + ".request");
                request.setHeader("X-" + name, "seen");
                return Decision.proceed();
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add(name + ".response");
                response.setHeader("X-" + name, "answered");
                return Decision.proceed();
            }
        };
    }

    @Test
    void should_run_request_phases_in_order_and_response_phases_in_reverse() throws Exception {
        List<String> log = new ArrayList<>();
        Exchange e = run(exchange(recording("a", log), recording("b", log))).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("a.request", "b.request", "b.response", "a.response"), log);
        assertEquals("seen", e.requestFields().first("X-a"), "what the upstream receives");
        assertEquals("answered", e.responseFields().first("X-b"));
    }

    @Test
    void should_stop_the_request_phase_at_a_rejection_and_run_the_response_phase_of_those_that_ran() throws Exception {
        List<String> log = new ArrayList<>();
        Policy reject = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add("reject.request");
                return Decision.reject(401, "who are you");
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add("reject.response");
                response.setHeader("WWW-Authenticate", "Bearer");
                return Decision.proceed();
            }
        };
        Exchange e = run(exchange(recording("a", log), reject, recording("c", log))).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("a.request", "reject.request", "reject.response", "a.response"), log);
        Answer.Rejection r = assertInstanceOf(Answer.Rejection.class, e.answer());
        assertEquals(401, r.status());
        assertEquals("Bearer", e.rejectionFields().first("WWW-Authenticate"), "response policies add to rejections too");
    }

    @Test
    void should_answer_500_when_a_policy_throws_or_returns_null() throws Exception {
        Policy throwing = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                throw new IllegalStateException("broken");
            }
        };
        assertEquals(500, run(exchange(throwing)).get(5, TimeUnit.SECONDS).answer().status());
        Policy nothing = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return null;
            }
        };
        assertEquals(500, run(exchange(nothing)).get(5, TimeUnit.SECONDS).answer().status());
    }

    @Test
    void should_suspend_on_a_pending_decision_and_resume_where_it_completes() throws Exception {
        CompletableFuture<Decision> later = new CompletableFuture<>();
        List<String> log = new ArrayList<>();
        Policy pending = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.pending(later);
            }
        };
        Exchange e = exchange(pending, recording("after", log));
        CompletableFuture<Exchange> done = run(e);
        assertFalse(done.isDone(), "suspended, holding no thread");
        assertTrue(log.isEmpty());
        later.complete(Decision.proceed());
        done.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("after.request", "after.response"), log);
        assertEquals(200, e.answer().status());
    }

    @Test
    void should_answer_504_when_a_pending_decision_never_completes() throws Exception {
        Policy never = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.pending(new CompletableFuture<>());
            }
        };
        long start = System.nanoTime();
        Exchange e = run(exchange(never)).get(5, TimeUnit.SECONDS);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(504, e.answer().status());
        assertTrue(tookMs >= 250 && tookMs < 3_000, "answered at the upstream timeout: " + tookMs + " ms");
    }

    @Test
    void should_take_a_late_decision_only_once() throws Exception {
        CompletableFuture<Decision> late = new CompletableFuture<>();
        Policy slow = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.pending(late);
            }
        };
        Exchange e = run(exchange(slow)).get(5, TimeUnit.SECONDS);
        late.complete(Decision.reject(401, "too late"));
        assertEquals(504, e.answer().status(), "the timeout's answer stands");
    }

    @Test
    void should_pass_an_exchange_with_no_policies_through_both_phases() throws Exception {
        Exchange e = run(exchange()).get(5, TimeUnit.SECONDS);
        assertEquals(200, e.answer().status());
        assertNull(e.rejectionFields());
    }

    // ---- Policy.order

    @Test
    void should_run_an_edge_policy_first_and_its_response_phase_last_whatever_its_place() throws Exception {
        List<String> log = new ArrayList<>();
        run(exchange(recording("auth", log), recording("cors", Policy.ORDER_EDGE, log))).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("cors.request", "auth.request", "auth.response", "cors.response"), log);
    }

    @Test
    void should_sort_by_order_and_keep_definition_order_among_equals() throws Exception {
        List<String> log = new ArrayList<>();
        Exchange e = exchange(recording("a", 0, log), recording("b", 10, log), recording("c", -5, log),
            recording("d", 0, log), recording("e", Policy.ORDER_EDGE, log), recording("f", 0, log));

        run(e).get(5, TimeUnit.SECONDS);

        assertEquals(List.of("e.request", "c.request", "a.request", "d.request", "f.request", "b.request",
            "b.response", "f.response", "d.response", "a.response", "c.response", "e.response"), log);
    }

    // ---- Decision.respond

    /** Answers a preflight ({@code OPTIONS}) itself with 204; adds {@code Vary} to every answer in its response phase. */
    private static Policy preflight(List<String> log) {
        return new Policy() {
            @Override
            public int order() {
                return ORDER_EDGE;
            }

            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add("cors.request");
                return Decision.respond(204, Map.of("Access-Control-Allow-Origin", "https://app.example",
                    "Access-Control-Allow-Methods", "GET, POST"));
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add("cors.response " + response.status());
                response.addHeader("Vary", "Origin");
                return Decision.proceed();
            }
        };
    }

    private static Policy authentication(List<String> log) {
        return new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                log.add("auth.request");
                return Decision.reject(401, "no credentials");
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                log.add("auth.response");
                return Decision.proceed();
            }
        };
    }

    @Test
    void should_answer_a_respond_without_the_upstream_and_run_the_response_phase_of_the_responder() throws Exception {
        List<String> log = new ArrayList<>();

        Exchange e = run(exchange(authentication(log), preflight(log))).get(5, TimeUnit.SECONDS);

        Answer.Respond r = assertInstanceOf(Answer.Respond.class, e.answer());
        assertEquals(204, r.status());
        assertEquals(Map.of("Access-Control-Allow-Origin", "https://app.example", "Access-Control-Allow-Methods", "GET, POST"),
            r.headers());
        assertEquals("Origin", e.rejectionFields().first("Vary"), "the response phase adds to the policy's answer");
        assertEquals(0, upstreamCalls.get(), "the upstream is not called");
        assertEquals(List.of("cors.request", "cors.response 204"), log, "authentication never ran");
        assertFalse(e.rejected(), "a respond is not an error answer");
    }

    @Test
    void should_run_the_response_phases_of_the_policies_before_the_responder() throws Exception {
        List<String> log = new ArrayList<>();
        Policy responder = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.respond(200, Map.of("X-Answered-By", "policy"));
            }
        };

        Exchange e = run(exchange(recording("first", log), responder, recording("never", log))).get(5, TimeUnit.SECONDS);

        assertEquals(List.of("first.request", "first.response"), log);
        assertEquals(200, e.answer().status());
        assertEquals("answered", e.rejectionFields().first("X-first"));
        assertEquals(0, upstreamCalls.get());
    }

    @Test
    void should_take_a_respond_that_arrives_through_a_pending_decision() throws Exception {
        CompletableFuture<Decision> later = new CompletableFuture<>();
        Policy pending = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.pending(later);
            }
        };
        CompletableFuture<Exchange> done = run(exchange(pending));
        later.complete(Decision.respond(204, Map.of("Allow", "GET")));

        Exchange e = done.get(5, TimeUnit.SECONDS);

        assertEquals(new Answer.Respond(204, Map.of("Allow", "GET")), e.answer());
        assertEquals(0, upstreamCalls.get());
    }

    @Test
    void should_replace_the_upstream_answer_when_a_response_phase_responds() throws Exception {
        Policy notModified = new Policy() {
            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                return Decision.respond(304, Map.of("ETag", "\"v1\""));
            }
        };

        Exchange e = run(exchange(notModified)).get(5, TimeUnit.SECONDS);

        assertEquals(1, upstreamCalls.get());
        assertEquals(new Answer.Respond(304, Map.of("ETag", "\"v1\"")), e.answer());
    }

    // ---- a preflight admitted for a method the API does not list

    @Test
    void should_answer_an_admitted_preflight_that_no_policy_answered_with_404_without_the_upstream() throws Exception {
        List<String> log = new ArrayList<>();

        Exchange e = run(exchange("methods: [GET, POST]", "OPTIONS", recording("edge", Policy.ORDER_EDGE, log)))
            .get(5, TimeUnit.SECONDS);

        Answer.Rejection r = assertInstanceOf(Answer.Rejection.class, e.answer());
        assertEquals(404, r.status());
        assertEquals("no API matches OPTIONS /chain/x", r.message());
        assertEquals(0, upstreamCalls.get(), "the upstream never gets a method the definition does not list");
        assertEquals(List.of("edge.request", "edge.response"), log);
    }

    @Test
    void should_answer_an_admitted_preflight_with_the_edge_policy_respond() throws Exception {
        List<String> log = new ArrayList<>();

        Exchange e = run(exchange("methods: [GET, POST]", "OPTIONS", authentication(log), preflight(log)))
            .get(5, TimeUnit.SECONDS);

        assertEquals(204, assertInstanceOf(Answer.Respond.class, e.answer()).status());
        assertEquals(0, upstreamCalls.get());
    }

    @Test
    void should_call_the_upstream_for_a_listed_method() throws Exception {
        Exchange e = run(exchange("methods: [GET, POST]", "POST", recording("edge", Policy.ORDER_EDGE, new ArrayList<>())))
            .get(5, TimeUnit.SECONDS);

        assertEquals(200, e.answer().status());
        assertEquals(1, upstreamCalls.get());
    }
}
