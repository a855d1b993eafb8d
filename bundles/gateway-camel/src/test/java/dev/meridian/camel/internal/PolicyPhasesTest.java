package dev.meridian.camel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

/** A policy that never decides holds its request no longer than the route's upstream timeout. */
@Timeout(10)
class PolicyPhasesTest {

    private final ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("test-scheduler", true);
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @BeforeEach
    void start() throws Exception {
        scheduler.start();
    }

    @AfterEach
    void stop() throws Exception {
        scheduler.stop();
        camel.close();
    }

    private static Flight flight(Policy policy) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: stuck", "basePath: /stuck",
            "upstream: { url: 'http://127.0.0.1:9/', timeout: 300ms }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(policy), new ApiMetrics("stuck"));
        return new Flight(null, null, null, new RouteTable(1, 1, List.of(route)), route, "/stuck/x", null, "id", System.nanoTime());
    }

    @Test
    void should_answer_504_when_a_pending_request_decision_never_completes() throws Exception {
        Policy never = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return Decision.pending(new CompletableFuture<>());
            }
        };
        Flight f = flight(never);
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(f);
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        long start = System.nanoTime();
        boolean sync = PolicyPhases.requestPhase(scheduler).process(exchange, done::complete);
        assertFalse(sync, "suspended, holding no thread");
        assertFalse(done.get(5, TimeUnit.SECONDS), "completed asynchronously");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertNotNull(f.rejection);
        assertEquals(504, f.rejection.status());
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
        Flight f = flight(slow);
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(f);
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        PolicyPhases.requestPhase(scheduler).process(exchange, done::complete);
        done.get(5, TimeUnit.SECONDS);
        late.complete(Decision.reject(401, "too late"));
        assertEquals(504, f.rejection.status(), "the timeout's answer stands");
    }
}
