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

    private int inflight() throws Exception {
        java.lang.reflect.Field f = Pipeline.class.getDeclaredField("camel");
        f.setAccessible(true);
        return ((DefaultCamelContext) f.get(pipeline)).getInflightRepository().size();
    }

    private static Steps steps(Step upstreamCall) {
        UpstreamClient upstream = new UpstreamClient() {
            @Override
            public Step call() {
                return upstreamCall;
            }

            @Override
            public CompletionStage<Fetched> fetch(Exchange exchange, Map<String, String> conditions, int maxBody) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException());
            }
        };
        return new Steps(new PolicyChain((a, d) -> () -> { }), CacheSteps.NONE, upstream);
    }

    private static Exchange exchange() throws Exception {
        ApiDefinition api = DefinitionParser.parseOne(String.join("\n", "id: pipe", "basePath: /pipe",
            "upstream: { url: 'http://127.0.0.1:9/', timeout: 300ms }", "").getBytes(StandardCharsets.UTF_8), Format.YAML);
        Route route = new Route(api, List.of(), new ApiMetrics("pipe"));
        return new Exchange(new RouteTable(1, 1, List.of(route)), route, "GET", "/pipe/x", null, "id", "127.0.0.1",
            System.nanoTime(), new ListFields());
    }
}
