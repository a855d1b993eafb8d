package dev.meridian.camel.internal;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
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

    static AsyncProcessor requestPhase() {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                Flight f = (Flight) exchange.getIn().getBody();
                return advanceRequest(f, callback, true);
            }
        };
    }

    static AsyncProcessor responsePhase() {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                Flight f = (Flight) exchange.getIn().getBody();
                if (f.policiesRun == 0) {
                    callback.done(true);
                    return true;
                }
                return advanceResponse(f, f.responseView(), f.policiesRun - 1, callback, true);
            }
        };
    }

    /** Runs request phases from {@code f.policiesRun}; completes {@code callback} when the chain ends. */
    private static boolean advanceRequest(Flight f, AsyncCallback callback, boolean sync) {
        while (f.rejection == null && f.policiesRun < f.route.policyCount()) {
            Policy policy = f.route.policy(f.policiesRun);
            Decision d = call(f, policy, true, null);
            f.policiesRun++;
            if (d instanceof Decision.Pending p) {
                p.stage().whenComplete((later, failure) -> {
                    apply(f, resolve(f, later, failure));
                    advanceRequest(f, callback, false);
                });
                return false;
            }
            apply(f, d);
        }
        callback.done(sync);
        return sync;
    }

    private static boolean advanceResponse(Flight f, PolicyResponse view, int index, AsyncCallback callback, boolean sync) {
        for (int i = index; i >= 0; i--) {
            Decision d = call(f, f.route.policy(i), false, view);
            if (d instanceof Decision.Pending p) {
                int next = i - 1;
                p.stage().whenComplete((later, failure) -> {
                    applyOnResponse(f, resolve(f, later, failure));
                    advanceResponse(f, view, next, callback, false);
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
