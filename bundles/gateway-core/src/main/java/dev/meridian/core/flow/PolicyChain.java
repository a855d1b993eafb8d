package dev.meridian.core.flow;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.core.Route;
import dev.meridian.core.ShapeSplit;
import dev.meridian.policy.api.Decision;
import dev.meridian.policy.api.Policy;
import dev.meridian.policy.api.PolicyResponse;

/**
 * The request and response phases of a route's policy chain. A policy answering
 * {@link Decision.Pending} suspends the exchange without holding a thread; the chain resumes on
 * the thread that completes the stage, or answers 504 at the route's upstream timeout when it
 * never does. A policy that throws or returns null answers 500. Request phases run in the route's
 * run order ({@link Route}: by {@code Policy.order()}, then definition order);
 * the response phases of those that ran, in reverse, on every answer (rejections, hits and
 * {@code Decision.respond} answers too).
 *
 * <p>{@link Decision.Reject} and {@link Decision.Respond} stop the request phase and answer
 * ({@link Answer.Rejection}, {@link Answer.Respond}); the upstream is not called and the response
 * phases of the policies that ran, the answering one included, still run on that answer (a CORS
 * policy adds its headers to its own preflight answer or to another policy's 401). In a response
 * phase they replace the current answer.
 *
 * <p>On an API with a split the main route's chain is the API's own policies; once they ran (and
 * identified the consumer the split may be sticky by) the shape is chosen and the request carries
 * on with that shape's route, whose chain starts with the same policies and adds the shape's own
 * ({@link Route#forShape}); its response phases run first, then the API's.
 *
 * <p>A request whose method the route does not allow reaches the chain only as a CORS preflight
 * ({@link Route#admitsPreflight()}); when no policy answers it, the request phase ends with the
 * 404 the data plane gives any method the definition does not list, so the upstream never sees it.
 */
public final class PolicyChain {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyChain.class);
    private static final Answer.Rejection POLICY_FAILED = new Answer.Rejection(500, "policy failed");
    private static final Answer.Rejection POLICY_TIMED_OUT = new Answer.Rejection(504, "policy timed out");

    private final Deadlines deadlines;

    public PolicyChain(Deadlines deadlines) {
        this.deadlines = deadlines;
    }

    /** The request phase: skipped once the exchange is answered (a rejection stops the chain). */
    public Step requestPhase() {
        return this::advanceRequest;
    }

    /** The response phase of the policies whose request phase ran. */
    public Step responsePhase() {
        return (e, next) -> e.policiesRun == 0 || advanceResponse(e, e.responseView(), e.policiesRun - 1, next);
    }

    /** Runs request phases from where the chain is; true when it ran to its end without suspending. */
    private boolean advanceRequest(Exchange e, Step.Next next) {
        while (!e.answered()) {
            if (e.policiesRun >= e.route().policyCount()) {
                if (e.route().split() == null || e.shapeChosen()) {
                    break;
                }
                chooseShape(e); // the API's own policies ran (the consumer is known): its shape's, if any, follow
                continue;
            }
            Policy policy = e.route().policy(e.policiesRun);
            Decision d = call(e, policy, true, null);
            e.policiesRun++;
            if (d instanceof Decision.Pending p) {
                whenDecided(e, p, (later, failure) -> {
                    apply(e, resolve(e, later, failure));
                    if (advanceRequest(e, next)) {
                        next.run();
                    }
                });
                return false;
            }
            apply(e, d);
        }
        if (!e.answered() && !e.route().allows(e.method())) {
            // a preflight admitted for the edge policies (Route.admitsPreflight) that none answered
            e.answer(new Answer.Rejection(404, "no API matches " + e.method() + " " + e.path()));
        }
        return true;
    }

    /**
     * Picks the shape of a split API's request from its sticky key ({@link ShapeSplit}); a cookie
     * split without the cookie gets a fresh id, which the answer sets.
     */
    static void chooseShape(Exchange e) {
        ShapeSplit split = e.route().split();
        String key = split.key(e);
        String setCookie = null;
        if (key == null) {
            key = ShapeSplit.newCookieValue();
            setCookie = split.setCookie(key);
        }
        e.chooseShape(split.route(split.bucket(key), e.route()), setCookie);
    }

    private boolean advanceResponse(Exchange e, PolicyResponse view, int index, Step.Next next) {
        for (int i = index; i >= 0; i--) {
            Decision d = call(e, e.route().policy(i), false, view);
            if (d instanceof Decision.Pending p) {
                int rest = i - 1;
                whenDecided(e, p, (later, failure) -> {
                    apply(e, resolve(e, later, failure));
                    if (advanceResponse(e, view, rest, next)) {
                        next.run();
                    }
                });
                return false;
            }
            apply(e, d);
        }
        return true;
    }

    /**
     * Calls {@code then} once, with the stage's decision, or with a 504 when it has not completed
     * within the route's upstream timeout: a policy that never answers must not hold the request
     * (nor a drain waiting for it) forever.
     */
    private void whenDecided(Exchange e, Decision.Pending pending, BiConsumer<Decision, Throwable> then) {
        AtomicBoolean once = new AtomicBoolean();
        long timeout = e.timeoutMillis();
        Deadlines.Scheduled task = deadlines.schedule(() -> {
            if (once.compareAndSet(false, true)) {
                LOG.warn("a policy of API {} did not decide within {} ms (request {}); answering 504", e.apiId(), timeout,
                    e.requestId());
                then.accept(Decision.reject(POLICY_TIMED_OUT.status(), POLICY_TIMED_OUT.message()), null);
            }
        }, timeout);
        pending.stage().whenComplete((later, failure) -> {
            if (once.compareAndSet(false, true)) {
                task.cancel();
                then.accept(later, failure);
            }
        });
    }

    private static Decision call(Exchange e, Policy policy, boolean request, PolicyResponse view) {
        try {
            Decision d = request ? policy.onRequest(e) : policy.onResponse(e, view);
            return d == null ? Decision.reject(POLICY_FAILED.status(), POLICY_FAILED.message()) : d;
        } catch (RuntimeException ex) {
            LOG.error("policy {} of API {} failed in the {} phase (request {})", policy.getClass().getName(),
                e.apiId(), request ? "request" : "response", e.requestId(), ex);
            return Decision.reject(POLICY_FAILED.status(), POLICY_FAILED.message());
        }
    }

    private static Decision resolve(Exchange e, Decision later, Throwable failure) {
        if (failure != null || later == null || later instanceof Decision.Pending) {
            LOG.error("asynchronous policy of API {} failed (request {})", e.apiId(), e.requestId(), failure);
            return Decision.reject(POLICY_FAILED.status(), POLICY_FAILED.message());
        }
        return later;
    }

    private static void apply(Exchange e, Decision d) {
        if (d instanceof Decision.Reject r) {
            e.answer(new Answer.Rejection(r.status(), r.message(), r.headers()));
        } else if (d instanceof Decision.Respond r) {
            e.answer(new Answer.Respond(r.status(), r.headers()));
        }
    }
}
