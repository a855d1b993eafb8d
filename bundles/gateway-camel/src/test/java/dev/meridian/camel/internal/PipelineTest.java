package dev.meridian.camel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.meridian.core.ApiMetrics;
import dev.meridian.core.Route;
import dev.meridian.core.RouteTable;
import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.CacheSteps;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.ListFields;
import dev.meridian.core.flow.PolicyChain;
import dev.meridian.core.flow.Step;
import dev.meridian.core.flow.Steps;
import dev.meridian.core.flow.UpstreamClient;
import dev.meridian.model.ApiDefinition;
import dev.meridian.model.DefinitionParser;
import dev.meridian.model.Format;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyRequest;
import dev.meridian.policy.api.PolicyResponse;

/**
 * The Camel route over a real Camel context: an exchange whose step throws ends (its failure
 * reported, nothing left in flight), so that a stop of the node does not wait Camel's graceful
 * shutdown timeout; and an asynchronous step's exchange stays in flight until it resumes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipelineTest {

    private final Pipeline pipeline = new Pipeline();

    @BeforeEach
    void start() throws Exception {
        pipeline.activate();
    }

    @AfterEach
    void stop() throws Exception {
        pipeline.deactivate();
    }

    @Test
    void should_end_the_exchange_and_report_the_failure_when_a_step_throws() throws Exception {
        IllegalStateException broken = new IllegalStateException("upstream client stopped");
        Steps steps = steps((e, next) -> {
            throw broken;
        });
        CompletableFuture<Throwable> done = new CompletableFuture<>();

        pipeline.run(exchange(), steps, done::complete);

        assertSame(broken, done.get(5, TimeUnit.SECONDS));
        assertEquals(0, inflight(), "no exchange left in flight");
    }

    @Test
    void should_keep_an_asynchronous_exchange_in_flight_until_it_resumes() throws Exception {
        AtomicReference<Step.Next> parked = new AtomicReference<>();
        Steps steps = steps((e, next) -> {
            e.answer(new Answer.Rejection(502, "later"));
            parked.set(next);
            return false;
        });
        CompletableFuture<Throwable> done = new CompletableFuture<>();

        pipeline.run(exchange(), steps, done::complete);
        assertEquals(1, inflight(), "waits for the upstream step");
        parked.get().run();

        assertNull(done.get(5, TimeUnit.SECONDS));
        assertEquals(0, inflight());
        assertTrue(done.isDone());
    }

    @Test
    void should_run_the_steps_in_order_when_each_side_suspends_inside_its_stage() throws Exception {
        // a policy that decides later in both phases, on other threads: the request side goes on
        // to its cache lookup after the request phase resumes, the response side ends with the
        // response phase once that resumes
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.BlockingQueue<CompletableFuture<Decision>> later = new java.util.concurrent.LinkedBlockingQueue<>();
        Policy decidesLater = new Policy() {
            @Override
            public Decision onRequest(PolicyRequest request) {
                return pending("request phase");
            }

            @Override
            public Decision onResponse(PolicyRequest request, PolicyResponse response) {
                return pending("response phase");
            }

            private Decision pending(String phase) {
                log.add(phase);
                CompletableFuture<Decision> decision = new CompletableFuture<>();
                later.add(decision);
                return Decision.pending(decision);
            }
        };
        Steps steps = steps((e, next) -> {
            log.add("upstream");
            e.answer(new Answer.Rejection(502, "none"));
            return true;
        });
        CompletableFuture<Throwable> done = new CompletableFuture<>();

        pipeline.run(exchange(decidesLater), steps, done::complete);
        for (String phase : new String[] {"request phase", "response phase"}) {
            CompletableFuture<Decision> decision = later.poll(5, TimeUnit.SECONDS);
            assertEquals(phase, log.get(log.size() - 1));
            assertTrue(!done.isDone(), "waits for the " + phase);
            Thread decider = new Thread(() -> decision.complete(Decision.proceed()));
            decider.start();
            decider.join(5_000);
        }

        assertNull(done.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("request phase", "upstream", "response phase"), log);
        assertEquals(0, inflight());
    }

    private int inflight() throws Exception {
        java.lang.reflect.Field f = Pipeline.class.getDeclaredField("camel");
        f.setAccessible(true);
        return ((DefaultCamelContext) f.get(pipeline)).getInflightRepository().size();
    }

    private static Steps steps(Step upstreamCall) {
        return new Steps(new PolicyChain((a, d) -> () -> { }), CacheSteps.NONE, upstream(upstreamCall));
    }

    private static UpstreamClient upstream(Step upstreamCall) {
        return new UpstreamClient() {
            @Override
            public Step call() {
                return upstreamCall;
            }

            @Override
            public CompletionStage<Fetched> fetch(Exchange exchange, Map<String, String> conditions, int maxBody) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException());
            }
        };
    }

    private static Exchange exchange(Policy... policies) throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: pipe", "basePath: /pipe",
            "upstream: { url: 'http://127.0.0.1:9/', timeout: 300ms }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(policies), new ApiMetrics("pipe"));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, "GET", "/pipe/x", null, "id", "127.0.0.1",
            System.nanoTime(), new ListFields());
    }
}
