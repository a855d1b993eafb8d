package dev.meridian.core.flow;

import java.util.concurrent.CompletionStage;

/**
 * The response cache's part of a request, implemented by {@code gateway-cache} (every cache
 * decision lives there, in one class): the lookup between the request phase and the upstream, the
 * step after the upstream, and what happens just before the answer is written. {@link #NONE}
 * when there is no cache (no cluster): everything passes through.
 */
public interface CacheSteps {

    /**
     * For a route without policies, before any pipeline: true when this node's memory answered at
     * once (the exchange then holds the answer and nothing is left to run); otherwise the lookup
     * it started is kept for {@link #lookup()}.
     */
    boolean answeredBeforePipeline(Exchange e);

    /**
     * For a route without policies, before anything else: true when {@code e} is a plain fresh
     * hit of this node's memory, then answered (the exchange holds the answer; {@link #beforeWrite}
     * and {@link #outcome} follow as for any answer). False otherwise, having done nothing: the
     * request then takes its usual way ({@link #answeredBeforePipeline} or {@link #lookup()}).
     *
     * @since 1.2
     */
    default boolean answeredIfFreshHit(Exchange e) {
        return false;
    }

    /** The lookup: a hit or stale entry answers the exchange; a miss prepares the store of what the upstream sends. */
    Step lookup();

    /** After the upstream: a 304 to the cache's own conditional renews and answers from the entry; a failed upstream may be answered stale. */
    Step afterUpstream();

    /**
     * Just before the answer is written: a client's own conditional answered 304 from a stored
     * entry, the upstream body tapped to be stored, a background refresh started, the URLs an
     * unsafe request changed invalidated. Null when the answer may be written at once, else a
     * stage that completes when it may (the writer waits for its invalidation).
     */
    CompletionStage<Void> beforeWrite(Exchange e);

    /** The value of {@code X-Cache} for this exchange, or null when its API has no cache. */
    String outcome(Exchange e);

    /** The pipeline failed: whatever the cache holds for this exchange is released. */
    void abandon(Exchange e);

    /** No cache: every step passes. */
    CacheSteps NONE = new CacheSteps() {
        @Override
        public boolean answeredBeforePipeline(Exchange e) {
            return false;
        }

        @Override
        public Step lookup() {
            return (e, next) -> true;
        }

        @Override
        public Step afterUpstream() {
            return (e, next) -> true;
        }

        @Override
        public CompletionStage<Void> beforeWrite(Exchange e) {
            return null;
        }

        @Override
        public String outcome(Exchange e) {
            return null;
        }

        @Override
        public void abandon(Exchange e) {
        }
    };
}
