package dev.meridian.camel.internal;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The Camel route every request runs through: request phase, cache lookup, upstream call
 * (skipped on a hit), response phase.
 * Requests enter through an {@link AsyncProducer} into {@code direct:meridian}, so no thread
 * is handed off and none waits (jvm-ceiling.md: about 15 µs over bare Jetty).
 */
final class Pipeline implements AutoCloseable {

    static final String ENDPOINT = "direct:meridian";

    private final DefaultCamelContext camel;
    private final Endpoint endpoint;
    private final AsyncProducer producer;

    Pipeline(UpstreamCall upstream, org.eclipse.jetty.util.thread.Scheduler scheduler, ClassLoader classLoader) throws Exception {
        camel = new DefaultCamelContext();
        camel.getCamelContextExtension().setName("meridian");
        camel.setApplicationContextClassLoader(classLoader);
        camel.disableJMX();
        camel.setStreamCaching(false);
        camel.setMessageHistory(false);
        camel.setTracing(false);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from(ENDPOINT).routeId("meridian-pipeline")
                    .process(PolicyPhases.requestPhase(scheduler)).id("request-phase")
                    .process(new CacheStep()).id("cache")
                    .process(upstream).id("upstream")
                    .process(new CacheStep.Revalidated()).id("revalidated")
                    .process(PolicyPhases.responsePhase(scheduler)).id("response-phase");
            }
        });
        camel.start();
        endpoint = camel.getEndpoint(ENDPOINT);
        producer = endpoint.createAsyncProducer();
        producer.start();
    }

    /** Runs {@code flight} through the route; {@code done} is called once with the finished exchange. */
    void run(Flight flight, java.util.function.Consumer<Exchange> done) {
        Exchange exchange = endpoint.createExchange();
        exchange.getIn().setBody(flight);
        producer.process(exchange, (AsyncCallback) doneSync -> done.accept(exchange));
    }

    @Override
    public void close() throws Exception {
        producer.stop();
        camel.stop();
    }
}
