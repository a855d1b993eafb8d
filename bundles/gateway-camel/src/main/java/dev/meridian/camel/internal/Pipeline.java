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

import dev.meridian.core.flow.Step;
import dev.meridian.core.flow.Steps;

/**
 * The pipeline as a Camel route: one async processor per step of {@link Steps} (request phase,
 * cache lookup, upstream call, after-upstream, response phase), each running that step of the
 * exchange it carries. Requests enter through an {@link AsyncProducer} into
 * {@code direct:meridian}, so no thread is handed off and none waits (jvm-ceiling.md: about
 * 15 µs over bare Jetty). The route knows no step's logic: it sequences them.
 */
@Component(service = dev.meridian.core.flow.Pipeline.class, immediate = true)
public final class Pipeline implements dev.meridian.core.flow.Pipeline {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    static final String ENDPOINT = "direct:meridian";
    /** How many steps a route runs ({@link Steps}: request, cache, upstream, after upstream, response). */
    static final int STEPS = 5;
    private static final String[] IDS = {"request-phase", "cache", "upstream", "after-upstream", "response-phase"};

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
                    for (int i = 0; i < STEPS; i++) {
                        route = route.process(new StepProcessor(i)).id(IDS[i]);
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

    /** Runs step {@code index} of the exchange the Camel exchange carries. */
    private static final class StepProcessor extends AsyncProcessorSupport {
        private final int index;

        StepProcessor(int index) {
            this.index = index;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            Object body = exchange.getIn().getBody();
            if (body == WARMUP) {
                callback.done(true);
                return true;
            }
            Carried c = (Carried) body;
            Step step = c.steps().get(index);
            try {
                if (step.run(c.exchange(), () -> callback.done(false))) {
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
