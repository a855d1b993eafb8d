package dev.meridian.http.internal;

import dev.meridian.core.flow.Answer;
import dev.meridian.core.flow.Exchange;
import dev.meridian.core.flow.Step;
import dev.meridian.model.UpstreamTargets;

/**
 * One request to an upstream of targets: picks a target ({@link TargetGroup}), sends the request
 * there through {@link JettyUpstream}'s usual path, counts the outcome on the target, and retries
 * when the upstream's {@code retries} allow it (CONTRACT §8):
 * <ul>
 * <li>only idempotent methods (GET HEAD PUT DELETE OPTIONS TRACE), and only a request whose body
 *     can be sent again (none, or one received whole in memory; a spooled or streamed body is not
 *     retried);
 * <li>on what {@code on} lists: {@code connect-failure} (the gateway's 502: refused, reset, TLS
 *     failure), {@code timeout} (504) and upstream statuses;
 * <li>to another available target when there is one, else the same one;
 * <li>at most {@code attempts} times, and only within the {@link RetryBudget}.
 * </ul>
 * No target available: 503 {@code {"error": "no healthy upstream target"}} at once. Runs its
 * {@link #run} as the {@code next} of each attempt, on whichever thread answered it.
 */
final class TargetCall implements Step.Next {

    static final String NONE_AVAILABLE = "no healthy upstream target";
    private static final Exception RETRIED = new Exception("retried on another target", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    private final JettyUpstream client;
    private final Exchange exchange;
    private final Step.Next next;
    private final TargetGroup group;
    private TargetGroup.Member current;
    private long tried;
    private int retries;

    private TargetCall(JettyUpstream client, Exchange exchange, Step.Next next, TargetGroup group) {
        this.client = client;
        this.exchange = exchange;
        this.next = next;
        this.group = group;
    }

    /** The upstream step for an exchange whose route's upstream has targets ({@link Step#run}'s contract). */
    static boolean start(JettyUpstream client, Targets targets, Exchange e, Step.Next next) {
        TargetGroup group = targets.group(e.route());
        long now = System.nanoTime();
        group.budget.request(now);
        TargetCall call = new TargetCall(client, e, next, group);
        if (!call.take(group.choose(e, 0, now), now)) {
            e.answer(new Answer.Rejection(503, NONE_AVAILABLE));
            return true;
        }
        call.dispatch();
        return false;
    }

    /** Takes {@code m} for this request (false: none, or its breaker refused the trial and no other is free). */
    private boolean take(TargetGroup.Member m, long now) {
        UpstreamTargets.CircuitBreaker breaker = group.config.circuitBreaker();
        long refused = 0;
        while (m != null && !m.state().acquire(now, breaker)) {
            refused |= 1L << m.index(); // a half-open breaker's trial went to another request just now
            m = group.choose(exchange, tried | refused, now);
        }
        if (m == null) {
            return false;
        }
        current = m;
        exchange.target(m.upstream());
        return true;
    }

    private void dispatch() {
        if (client.sendTargeted(exchange, this)) {
            run(); // answered at once (a TLS setting that does not load, a refused body)
        }
    }

    /** The current attempt is answered: count it, then retry or go on. */
    @Override
    public void run() {
        Answer a = exchange.answer();
        long now = System.nanoTime();
        UpstreamTargets.Retries policy = group.config.retries();
        boolean failed;
        boolean retryOn;
        if (a instanceof Answer.Upstream up) {
            failed = up.status() >= 500;
            retryOn = policy.statuses().contains(up.status());
        } else if (a instanceof Answer.Rejection r && r.status() == 502) {
            failed = true;
            retryOn = policy.connectFailure();
        } else if (a instanceof Answer.Rejection r && r.status() == 504) {
            failed = true;
            retryOn = policy.timeout();
        } else {
            // the client's fault (400, 413) or the node stopping (503): not the target's, never retried
            current.state().abandon();
            next.run();
            return;
        }
        current.state().end(failed, now, group.config.circuitBreaker());
        tried |= 1L << current.index();
        if (retryOn && retries < policy.attempts() && idempotent(exchange.method()) && client.canResend(exchange)) {
            TargetGroup.Member m = group.choose(exchange, tried, now);
            if (m == null) {
                m = group.choose(exchange, 0, now); // no other target: the same one again
            }
            if (m != null && group.budget.tryRetry(now, policy.budgetPercent()) && take(m, now)) {
                retries++;
                exchange.clearAnswer(RETRIED);
                client.resend(exchange, this);
                return;
            }
        }
        next.run();
    }

    static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE" -> true;
            default -> false;
        };
    }
}
