package dev.meridian.manager.internal;

import java.util.Locale;

import dev.meridian.core.CanaryMeter.Window;
import dev.meridian.model.CanaryPolicy;

/**
 * Whether a canary breaches its limits over the window (CONTRACT §8), from both sides' counts
 * merged across the nodes. Pure: the same counts give the same verdict on every node.
 *
 * <p><b>Errors.</b> The canary's 5xx rate may exceed the stable side's by {@code maxErrorRate}
 * percentage points. A breach needs at least {@code minRequests} canary requests in the window and
 * more errors than that rate allows by a one-sided three-sigma binomial margin
 * ({@code errors > n·p + 3·sqrt(n·p·(1-p))}, {@code p} the allowed rate): the first few requests of
 * a good change with one unlucky error do not roll it back (1 error in 50 is 2%, over a +1pp limit),
 * while a change failing 10% of 5% of 200 requests/s is caught within about ten seconds.
 *
 * <p><b>Latency.</b> The canary's p99 may reach {@code maxP99} times the stable side's. Judged only
 * with 1,000 latencies on each side (a p99 of fewer is close to their maximum; a node's first 5 s with
 * the canary keep none, {@code CanaryMeter}), only when the difference is above 2 ms (jitter
 * between two healthy sides is not a regression), and acted on by the watch only when it holds
 * for {@link #LATENCY_CHECKS} checks in a row (a second apart): on a loaded box one second's
 * tail can double, errors cannot appear from nowhere.
 */
final class CanaryJudge {

    /** Consecutive checks a p99 breach must hold before the watch rolls back. */
    static final int LATENCY_CHECKS = 5;
    /** The least p99 difference that can breach, in milliseconds. */
    static final double P99_FLOOR_MS = 2.0;
    /**
     * Latencies on each side before p99s are compared: the p99 of 1,000 is about their tenth
     * largest; of 200 (the first value) it was about the second largest, and a healthy canary at
     * 10% was judged 1.2x its stable side's on a loaded box (7.6 vs 6.3 ms, CanaryE2EIT's helper
     * runs), saved only by the 2 ms floor.
     */
    static final long P99_MIN_REQUESTS = 1_000;

    enum Kind {
        /** Too few canary requests in the window to judge. */
        WAITING,
        /** Within the limits. */
        PASSING,
        /** A limit is breached: roll back. */
        BREACHED;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code latency}: breached by the p99 (the watch acts on it only once it persists), else by errors. */
    record Verdict(Kind kind, String reason, boolean latency) {
        Verdict(Kind kind, String reason) {
            this(kind, reason, false);
        }
    }

    private CanaryJudge() {
    }

    static Verdict judge(CanaryPolicy policy, Window stable, Window canary) {
        long n = canary.requests();
        String rates = "error rate " + percent(canary.errorRate()) + " vs " + percent(stable.errorRate()) + " stable";
        if (n < policy.minRequests()) {
            return new Verdict(Kind.WAITING, n + " of " + policy.minRequests() + " canary requests in the window; " + rates);
        }
        double allowed = Math.min(1.0, stable.errorRate() + policy.maxErrorRatePoints() / 100.0);
        double margin = n * allowed + 3 * Math.sqrt(n * allowed * (1 - allowed));
        if (canary.errorRate() > allowed && canary.errors() > margin) {
            return new Verdict(Kind.BREACHED, rates + " over the window (limit +" + number(policy.maxErrorRatePoints())
                + "pp): " + canary.errors() + " of " + n + " canary requests failed");
        }
        double c99 = canary.quantileMillis(0.99);
        double s99 = stable.quantileMillis(0.99);
        long timed = Math.min(canary.latencyCount(), stable.latencyCount());
        if (timed < P99_MIN_REQUESTS) {
            return new Verdict(Kind.PASSING, rates + ", p99 not judged yet (" + timed + " of " + P99_MIN_REQUESTS
                + " latencies on the side with fewer)");
        }
        String p99s = "p99 " + millis(c99) + " vs " + millis(s99) + " stable";
        if (c99 > policy.maxP99Ratio() * s99 && c99 - s99 > P99_FLOOR_MS) {
            return new Verdict(Kind.BREACHED, p99s + " over the window (limit " + number(policy.maxP99Ratio()) + "x)", true);
        }
        return new Verdict(Kind.PASSING, rates + ", " + p99s);
    }

    static String percent(double rate) {
        return String.format(Locale.ROOT, "%.2f%%", rate * 100);
    }

    private static String millis(double ms) {
        return String.format(Locale.ROOT, "%.1f ms", ms);
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.valueOf(d);
    }
}
