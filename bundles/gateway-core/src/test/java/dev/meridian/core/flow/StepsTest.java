package dev.meridian.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The steps in order, run directly: synchronous ones on the caller's thread, an asynchronous one resumed by its completer. */
@Timeout(10)
class StepsTest {

    private final List<String> log = new ArrayList<>();
    private final AtomicReference<Step.Next> parked = new AtomicReference<>();
    private volatile RuntimeException afterThrows;

    private final UpstreamClient upstream = new UpstreamClient() {
        @Override
        public Step call() {
            return (e, next) -> {
                log.add("upstream");
                parked.set(next); // an upstream that answers later
                return false;
            };
        }

        @Override
        public CompletionStage<Fetched> fetch(Exchange exchange, Map<String, String> conditions, int maxBody) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }
    };

    private final CacheSteps cache = new CacheSteps() {
        @Override
        public boolean answeredBeforePipeline(Exchange e) {
            return false;
        }

        @Override
        public Step lookup() {
            return (e, next) -> log.add("lookup");
        }

        @Override
        public Step afterUpstream() {
            return (e, next) -> {
                log.add("after");
                if (afterThrows != null) {
                    throw afterThrows;
                }
                return true;
            };
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

    @Test
    void should_run_each_step_once_in_order_across_an_asynchronous_one() throws Exception {
        Steps steps = new Steps(new PolicyChain((a, d) -> () -> { }), cache, upstream);
        Exchange e = PolicyChainTest.exchange();
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        steps.runDirect(e, done::complete);
        assertEquals(List.of("lookup", "upstream"), log);
        assertFalse(done.isDone(), "waits for the upstream, on no thread");
        Thread resumer = new Thread(() -> parked.get().run());
        resumer.start();
        assertNull(done.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("lookup", "upstream", "after"), log);
    }

    @Test
    void should_report_what_a_step_threw() throws Exception {
        IllegalStateException broken = new IllegalStateException("broken step");
        UpstreamClient throwing = new UpstreamClient() {
            @Override
            public Step call() {
                return (e, next) -> {
                    throw broken;
                };
            }

            @Override
            public CompletionStage<Fetched> fetch(Exchange exchange, Map<String, String> conditions, int maxBody) {
                return null;
            }
        };
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        new Steps(new PolicyChain((a, d) -> () -> { }), CacheSteps.NONE, throwing).runDirect(PolicyChainTest.exchange(), done::complete);
        assertSame(broken, done.get(5, TimeUnit.SECONDS));
    }

    @Test
    void should_run_a_part_on_the_caller_without_calling_back_when_no_step_suspends() throws Exception {
        Steps steps = new Steps(new PolicyChain((a, d) -> () -> { }), cache, upstream);
        List<Throwable> resumed = new ArrayList<>();
        assertTrue(steps.runPart(PolicyChainTest.exchange(), 0, Steps.UPSTREAM_CALL, resumed::add));
        assertEquals(List.of("lookup"), log);
        assertEquals(List.of(), resumed, "finished on the call: nothing calls back");
    }

    @Test
    void should_run_the_rest_of_a_part_from_the_thread_that_resumes_it_and_call_back_once() throws Exception {
        Steps steps = new Steps(new PolicyChain((a, d) -> () -> { }), cache, upstream);
        CompletableFuture<Throwable> resumed = new CompletableFuture<>();
        List<Thread> callers = new ArrayList<>();
        assertFalse(steps.runPart(PolicyChainTest.exchange(), 1, 4, failure -> {
            callers.add(Thread.currentThread());
            resumed.complete(failure);
        }));
        assertEquals(List.of("lookup", "upstream"), log, "stops at the step that suspended");
        Thread resumer = new Thread(() -> parked.get().run());
        resumer.start();
        assertNull(resumed.get(5, TimeUnit.SECONDS));
        resumer.join();
        assertEquals(List.of("lookup", "upstream", "after"), log, "the part's own steps only: not the response phase");
        assertEquals(List.of(resumer), callers, "called back once, by the resumer");
    }

    @Test
    void should_throw_a_failure_before_a_suspension_and_call_back_one_after_it() throws Exception {
        afterThrows = new IllegalStateException("broken after-upstream step");
        Steps steps = new Steps(new PolicyChain((a, d) -> () -> { }), cache, upstream);
        assertSame(afterThrows, assertThrows(IllegalStateException.class,
            () -> steps.runPart(PolicyChainTest.exchange(), 3, 5, f -> fail("no call back for a failure thrown"))));
        CompletableFuture<Throwable> resumed = new CompletableFuture<>();
        assertFalse(steps.runPart(PolicyChainTest.exchange(), 2, 5, resumed::complete));
        parked.get().run();
        assertSame(afterThrows, resumed.get(5, TimeUnit.SECONDS));
    }
}
