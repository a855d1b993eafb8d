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

    /** The index of the upstream call: the steps before it are the request's side, those after it the response's. */
    public static final int UPSTREAM_CALL = 2;

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
        boolean finished;
        try {
            finished = runPart(e, 0, steps.length, done);
        } catch (RuntimeException failure) {
            done.accept(failure);
            return;
        }
        if (finished) {
            done.accept(null);
        }
    }

    /**
     * Runs steps {@code first} to {@code end - 1}, on the calling thread for as long as each
     * finishes synchronously: a pipeline stage of several steps (the request's side, the
     * response's). A failure thrown before any step suspended is thrown to the caller.
     *
     * @return true when they all finished on this call ({@code resumed} is then not called);
     *     false when one suspended: {@code resumed} is then called once, after the last, with
     *     null or with what a step threw — later, or already
     */
    public boolean runPart(Exchange e, int first, int end, java.util.function.Consumer<Throwable> resumed) {
        Part part = new Part(steps, e, end, resumed);
        for (int i = first; i < end; i++) {
            part.resume = i + 1;
            if (!steps[i].run(e, part)) {
                return false;
            }
        }
        return true;
    }

    /** The rest of a part after one of its steps suspended; resumed by the thread that completes it. */
    private static final class Part implements Step.Next {
        private final Step[] steps;
        private final Exchange e;
        private final int end;
        private final java.util.function.Consumer<Throwable> resumed;
        private int resume;

        Part(Step[] steps, Exchange e, int end, java.util.function.Consumer<Throwable> resumed) {
            this.steps = steps;
            this.e = e;
            this.end = end;
            this.resumed = resumed;
        }

        @Override
        public void run() {
            try {
                for (int i = resume; i < end; i++) {
                    resume = i + 1;
                    if (!steps[i].run(e, this)) {
                        return; // resumed again by that step
                    }
                }
            } catch (RuntimeException failure) {
                resumed.accept(failure);
                return;
            }
            resumed.accept(null);
        }
    }
}
