package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    static Exchange exchange(Policy... policies) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: chain", "basePath: /chain",
            "upstream: { url: 'http://127.0.0.1:9/', timeout: 300ms }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(policies), new ApiMetrics("chain"));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, "GET", "/chain/x", null, "id", "127.0.0.1",
            System.nanoTime(), new ListFields());
    }

    /** Runs the request phase, a stand-in upstream answer, and the response phase; answers when done. */
    private CompletableFuture<Exchange> run(Exchange e) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        Step upstream = (x, next) -> {
            if (!x.answered()) {
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
        return new Policy() {
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
}
