package dev.meridian.camel.internal;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyResponse;

/**
 * The request and response phases of a route's policy chain as Camel async processors. A
 * policy answering {@link Decision.Pending} suspends the exchange without holding a thread;
 * the chain resumes on the thread that completes the stage.
 */
final class PolicyPhases {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyPhases.class);
    private static final Decision.Reject POLICY_FAILED = new Decision.Reject(500, "policy failed", java.util.Map.of());

    private PolicyPhases() {
    }

    private static final Decision.Reject POLICY_TIMED_OUT = new Decision.Reject(504, "policy timed out", java.util.Map.of());

    /** @param scheduler where a pending decision's deadline (the route's upstream timeout) is kept */
    static AsyncProcessor requestPhase(Scheduler scheduler) {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                Flight f = (Flight) exchange.getIn().getBody();
                return advanceRequest(f, callback, true, scheduler);
            }
        };
    }

    static AsyncProcessor responsePhase(Scheduler scheduler) {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                Flight f = (Flight) exchange.getIn().getBody();
                if (f.policiesRun == 0) {
                    callback.done(true);
                    return true;
                }
                return advanceResponse(f, f.responseView(), f.policiesRun - 1, callback, true, scheduler);
            }
        };
    }

    /**
     * Calls {@code then} once, with the stage's decision, or with a 504 when it has not completed
     * within the route's upstream timeout: a policy that never answers must not hold the request
     * (nor a drain waiting for it) forever.
     */
    private static void whenDecided(Flight f, Decision.Pending pending, Scheduler scheduler,
                                    java.util.function.BiConsumer<Decision, Throwable> then) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        long timeout = f.route.api().upstream().timeout().toMillis();
        Scheduler.Task task = scheduler.schedule(() -> {
            if (once.compareAndSet(false, true)) {
                LOG.warn("a policy of API {} did not decide within {} ms (request {}); answering 504", f.route.id(), timeout,
                    f.requestId);
                then.accept(POLICY_TIMED_OUT, null);
            }
        }, timeout, java.util.concurrent.TimeUnit.MILLISECONDS);
        pending.stage().whenComplete((later, failure) -> {
            if (once.compareAndSet(false, true)) {
                task.cancel();
                then.accept(later, failure);
            }
        });
    }

    /** Runs request phases from {@code f.policiesRun}; completes {@code callback} when the chain ends. */
    private static boolean advanceRequest(Flight f, AsyncCallback callback, boolean sync, Scheduler scheduler) {
        while (f.rejection == null && f.policiesRun < f.route.policyCount()) {
            Policy policy = f.route.policy(f.policiesRun);
            Decision d = call(f, policy, true, null);
            f.policiesRun++;
            if (d instanceof Decision.Pending p) {
                whenDecided(f, p, scheduler, (later, failure) -> {
                    apply(f, resolve(f, later, failure));
                    advanceRequest(f, callback, false, scheduler);
                });
                return false;
            }
            apply(f, d);
        }
        callback.done(sync);
        return sync;
    }

    private static boolean advanceResponse(Flight f, PolicyResponse view, int index, AsyncCallback callback, boolean sync,
                                           Scheduler scheduler) {
        for (int i = index; i >= 0; i--) {
            Decision d = call(f, f.route.policy(i), false, view);
            if (d instanceof Decision.Pending p) {
                int next = i - 1;
                whenDecided(f, p, scheduler, (later, failure) -> {
                    applyOnResponse(f, resolve(f, later, failure));
                    advanceResponse(f, view, next, callback, false, scheduler);
                });
                return false;
            }
            applyOnResponse(f, d);
        }
        callback.done(sync);
        return sync;
    }

    private static Decision call(Flight f, Policy policy, boolean request, PolicyResponse view) {
        try {
            Decision d = request ? policy.onRequest(f) : policy.onResponse(f, view);
            return d == null ? POLICY_FAILED : d;
        } catch (RuntimeException e) {
            LOG.error("policy {} of API {} failed in the {} phase (request {})", policy.getClass().getName(),
                f.route.id(), request ? "request" : "response", f.requestId, e);
            return POLICY_FAILED;
        }
    }

    private static Decision resolve(Flight f, Decision later, Throwable failure) {
        if (failure != null || later == null || later instanceof Decision.Pending) {
            LOG.error("asynchronous policy of API {} failed (request {})", f.route.id(), f.requestId, failure);
            return POLICY_FAILED;
        }
        return later;
    }

    private static void apply(Flight f, Decision d) {
        if (d instanceof Decision.Reject r) {
            f.reject(r);
        }
    }

    private static void applyOnResponse(Flight f, Decision d) {
        if (d instanceof Decision.Reject r) {
            if (f.upstreamBody != null) {
                f.upstreamBody.fail(new IllegalStateException("response replaced by a policy"));
            }
            f.reject(r);
        }
    }
}
