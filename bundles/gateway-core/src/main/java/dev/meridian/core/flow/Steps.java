package dev.meridian.core.flow;

import java.util.List;

/**
 * The steps of every request, in order: request phase, cache lookup, upstream call, the cache's
 * after-upstream step, response phase. A {@link Pipeline} runs them; {@link #runDirect} runs them
 * on the calling thread for as long as each finishes synchronously, then from the thread that
 * resumes one — what a Camel route does, without building a Camel exchange. Immutable; the data
 * plane builds a new one when the cache or the upstream client it holds changes.
 */
public final class Steps {

    private final Step[] steps;

    public Steps(PolicyChain policies, CacheSteps cache, UpstreamClient upstream) {
        this.steps = new Step[] {policies.requestPhase(), cache.lookup(), upstream.call(), cache.afterUpstream(),
            policies.responsePhase()};
    }

    /** The steps in order. */
    public List<Step> list() {
        return List.of(steps);
    }

    /** How many steps there are. */
    public int size() {
        return steps.length;
    }

    /** The step at {@code index} (0 = request phase). */
    public Step get(int index) {
        return steps[index];
    }

    /**
     * Runs every step from the first; {@code done} is called once, when the last has finished,
     * with null or with what a step threw.
     */
    public void runDirect(Exchange e, java.util.function.Consumer<Throwable> done) {
        new Run(steps, e, done).from(0);
    }

    /**
     * One exchange's way through the steps: one object per request, which is also the
     * continuation every asynchronous step gets (instead of a lambda per step).
     */
    private static final class Run implements Step.Next {
        private final Step[] steps;
        private final Exchange e;
        private final java.util.function.Consumer<Throwable> done;
        /** The step to run when resumed. */
        private int resume;

        Run(Step[] steps, Exchange e, java.util.function.Consumer<Throwable> done) {
            this.steps = steps;
            this.e = e;
            this.done = done;
        }

        @Override
        public void run() {
            from(resume);
        }

        void from(int first) {
            try {
                for (int i = first; i < steps.length; i++) {
                    resume = i + 1;
                    if (!steps[i].run(e, this)) {
                        return; // resumed by the step
                    }
                }
            } catch (RuntimeException failure) {
                done.accept(failure);
                return;
            }
            done.accept(null);
        }
    }
}
