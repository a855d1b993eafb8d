package dev.meridian.camel.internal;

import java.util.function.Consumer;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.AsyncProcessorSupport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.flow.Steps;

/**
 * The pipeline as a Camel route of three async processors — the request's side (policies'
 * request phase, cache lookup), the upstream call, the response's side (the cache's
 * after-upstream step, policies' response phase) — each running those {@link Steps} of the
 * exchange it carries. Requests enter through an {@link AsyncProducer} into
 * {@code direct:meridian}, so no thread is handed off and none waits (jvm-ceiling.md: about
 * 15 µs over bare Jetty). The route knows no step's logic: it sequences them.
 *
 * <p>Three stages rather than one processor per step: each Camel processor costs its channel's
 * advices and a reactive-executor hand-over per exchange, ~85 ns alone and several times that
 * under load on two cores ({@code bench/README.md}, 2026-12-04: Camel's frames were 10% of a
 * policy route's samples); the steps within a stage run as {@link Steps#runPart} runs them,
 * synchronously until one suspends, resumed by the thread that completes it.
 */
@Component(service = dev.meridian.core.flow.Pipeline.class, immediate = true)
public final class Pipeline implements dev.meridian.core.flow.Pipeline {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    static final String ENDPOINT = "direct:meridian";
    /** How many steps a route runs ({@link Steps}: request, cache, upstream, after upstream, response). */
    static final int STEPS = 5;
    /** The route's stages: the first step and the end of each, and its id in the route. */
    private static final int[][] STAGES = {{0, Steps.UPSTREAM_CALL}, {Steps.UPSTREAM_CALL, Steps.UPSTREAM_CALL + 1},
        {Steps.UPSTREAM_CALL + 1, STEPS}};
    private static final String[] IDS = {"request-side", "upstream", "response-side"};

    private DefaultCamelContext camel;
    private Endpoint endpoint;
    private AsyncProducer producer;

    /** The body of the exchanges that warm the route at start: each step passes it on untouched. */
    private static final Object WARMUP = new Object();
    /**
     * Exchanges run through the route at start: the first request of a route with policies
     * took 110-130 ms after a cold boot of three nodes (Camel's first exchanges initialize its
     * internals lazily), the next ones a millisecond or two.
     */
    private static final int WARMUP_EXCHANGES = 2_000;

    /** What a Camel exchange carries: the gateway's exchange and the steps it runs. */
    private record Carried(dev.meridian.core.flow.Exchange exchange, Steps steps) {
    }

    @Activate
    void activate() throws Exception {
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(Pipeline.class.getClassLoader());
        try {
            camel = new DefaultCamelContext();
            camel.getCamelContextExtension().setName("meridian");
            camel.setApplicationContextClassLoader(Pipeline.class.getClassLoader());
            camel.disableJMX();
            camel.setStreamCaching(false);
            camel.setMessageHistory(false);
            camel.setTracing(false);
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    errorHandler(noErrorHandler());
                    var route = from(ENDPOINT).routeId("meridian-pipeline");
                    for (int i = 0; i < STAGES.length; i++) {
                        route = route.process(new StageProcessor(STAGES[i][0], STAGES[i][1])).id(IDS[i]);
                    }
                }
            });
            camel.start();
            endpoint = camel.getEndpoint(ENDPOINT);
            producer = endpoint.createAsyncProducer();
            producer.start();
            for (int i = 0; i < WARMUP_EXCHANGES; i++) {
                Exchange warm = endpoint.createExchange();
                warm.getIn().setBody(WARMUP);
                producer.process(warm, (AsyncCallback) doneSync -> { });
            }
        } finally {
            current.setContextClassLoader(previous);
        }
        LOG.info("Meridian pipeline (Camel route {}) started", ENDPOINT);
    }

    @Deactivate
    void deactivate() throws Exception {
        producer.stop();
        camel.stop();
    }

    @Override
    public void run(dev.meridian.core.flow.Exchange exchange, Steps steps, Consumer<Throwable> done) {
        if (steps.size() != STEPS) {
            steps.runDirect(exchange, done); // a shape this route was not built for
            return;
        }
        Exchange camelExchange = endpoint.createExchange();
        camelExchange.getIn().setBody(new Carried(exchange, steps));
        producer.process(camelExchange, (AsyncCallback) doneSync -> done.accept(camelExchange.getException()));
    }

    /** Runs one stage (steps {@code first} to {@code end - 1}) of the exchange the Camel exchange carries. */
    private static final class StageProcessor extends AsyncProcessorSupport {
        private final int first;
        private final int end;

        StageProcessor(int first, int end) {
            this.first = first;
            this.end = end;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            Object body = exchange.getIn().getBody();
            if (body == WARMUP) {
                callback.done(true);
                return true;
            }
            Carried c = (Carried) body;
            try {
                if (c.steps().runPart(c.exchange(), first, end, failure -> {
                    if (failure != null) {
                        exchange.setException(failure);
                    }
                    callback.done(false);
                })) {
                    callback.done(true);
                    return true;
                }
            } catch (RuntimeException failure) {
                // A step must not throw (Step), but one that does must still end the Camel
                // exchange: left un-ended it stays in flight, and Camel's graceful shutdown then
                // waits its full 45 s at every stop of the node ("Inflights per route:
                // [meridian-pipeline = 1]", seen with the proxy warm-up running into a stopped
                // client). Set on the exchange, the failure ends the route and reaches run's
                // callback, which answers the request 500 as Steps.runDirect does.
                exchange.setException(failure);
                callback.done(true);
                return true;
            }
            return false;
        }
    }
}
