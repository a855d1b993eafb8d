package dev.meridian.core.flow;

/**
 * One stage of a request (a policy phase, the cache lookup, the upstream call...). A step reads
 * and changes its exchange, then lets the next one run: at once ({@code return true}) or later,
 * from whichever thread completes what it waited for ({@code next.run()}, exactly once, and
 * {@code return false}). A step never blocks a thread and never throws for a request's sake: it
 * answers the exchange ({@link Exchange#answer(Answer)}) instead.
 */
@FunctionalInterface
public interface Step {

    /** Continues the exchange after an asynchronous step. */
    @FunctionalInterface
    interface Next {
        void run();
    }

    /**
     * @return true when done synchronously ({@code next} is then not called); false when
     *     {@code next} will be called once, later or already
     */
    boolean run(Exchange exchange, Next next);
}
