package dev.meridian.core.flow;

/**
 * Runs an exchange's {@link Steps} in order. {@code gateway-camel} registers the one that runs
 * them as a Camel route (an async producer into {@code direct:}); without it, or for a route that
 * has nothing asynchronous to do, the data plane runs them directly ({@link Steps#runDirect}).
 */
public interface Pipeline {

    /**
     * Runs {@code exchange} through {@code steps}; calls {@code done} once, from the last step's
     * thread, with null, or with what failed (a step broke its contract and threw): the caller
     * then answers 500.
     */
    void run(Exchange exchange, Steps steps, java.util.function.Consumer<Throwable> done);
}
