package dev.meridian.http.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.meridian.model.UpstreamTargets;

/**
 * What this node knows about one upstream target, kept across applies for as long as some route
 * has the target (keyed by its URL and TLS material, {@link Targets}): requests in flight, the
 * active health checks' verdict, passive ejection and the circuit breaker.
 *
 * <p><b>Passive ejection</b>: {@value #EJECT_AFTER} consecutive failures of live traffic (a
 * connect failure, a timeout, a 5xx answer) eject the target for {@value #EJECT_BASE_SECONDS} s,
 * doubled for each ejection in a row up to {@value #EJECT_MAX_SECONDS} s; a success after its
 * return resets the doubling. With active health checks, {@code healthyAfter} successful probes
 * since the ejection end it early. Thread-safe: counters are atomic, the small state machines
 * are guarded by this object's lock (never held across I/O).
 */
final class TargetState {

    static final int EJECT_AFTER = 3;
    static final long EJECT_BASE_SECONDS = 10;
    static final long EJECT_MAX_SECONDS = 160;

    /** The target's URL as the definition shows it (a template keeps its references). */
    final String name;
    final AtomicInteger inFlight = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder failures = new LongAdder();
    final AtomicLong ejections = new AtomicLong();
    private final Breaker breaker = new Breaker();
    private volatile boolean healthy = true;
    /** {@link System#nanoTime()} until which the target is ejected; meaningful while {@link #ejectedNow} is set. */
    private volatile long ejectedUntil;
    private volatile boolean ejectedNow;
    private int consecutiveFailures;
    private int ejectStreak;
    private int probeSuccesses;
    private int probeFailures;

    TargetState(String name) {
        this.name = name;
    }

    /** Whether a request may go to this target now: healthy, not ejected, its breaker letting requests through. */
    boolean available(long now, UpstreamTargets.CircuitBreaker breakerConfig) {
        return healthy && !ejected(now) && (!breakerConfig.enabled() || breaker.available(now));
    }

    /** Takes the target for one request (a half-open breaker's one trial); false when the breaker refuses. */
    boolean acquire(long now, UpstreamTargets.CircuitBreaker breakerConfig) {
        if (breakerConfig.enabled() && !breaker.acquire(now)) {
            return false;
        }
        inFlight.incrementAndGet();
        requests.increment();
        return true;
    }

    /** A request taken by {@link #acquire} ended; {@code failed}: a connect failure, a timeout or a 5xx. */
    void end(boolean failed, long now, UpstreamTargets.CircuitBreaker breakerConfig) {
        inFlight.decrementAndGet();
        if (failed) {
            failures.increment();
        }
        passive(failed, now);
        if (breakerConfig.enabled()) {
            breaker.record(failed, now, breakerConfig);
        }
    }

    /** A request taken by {@link #acquire} was not sent after all (no outcome to count). */
    void abandon() {
        inFlight.decrementAndGet();
    }

    boolean ejected(long now) {
        if (!ejectedNow) {
            return false;
        }
        if (now - ejectedUntil < 0) {
            return true;
        }
        ejectedNow = false; // a benign race: every thread sees the same deadline passed
        return false;
    }

    private synchronized void passive(boolean failed, long now) {
        if (!failed) {
            consecutiveFailures = 0;
            if (!ejected(now)) {
                ejectStreak = 0;
            }
            return;
        }
        if (++consecutiveFailures < EJECT_AFTER || ejected(now)) {
            return;
        }
        consecutiveFailures = 0;
        ejectStreak = Math.min(ejectStreak + 1, 5);
        long seconds = Math.min(EJECT_MAX_SECONDS, EJECT_BASE_SECONDS << (ejectStreak - 1));
        ejectedUntil = now + seconds * 1_000_000_000L;
        ejectedNow = true;
        probeSuccesses = 0; // probes bring it back only with successes since the ejection
        ejections.incrementAndGet();
    }

    /** One active health check's result: {@code unhealthyAfter} failures / {@code healthyAfter} successes in a row flip the verdict. */
    synchronized void probed(boolean ok, UpstreamTargets.HealthCheck check) {
        if (ok) {
            probeFailures = 0;
            if (++probeSuccesses >= check.healthyAfter()) {
                healthy = true;
                ejectedNow = false; // probed back: an ejected target returns early
            }
        } else {
            probeSuccesses = 0;
            if (++probeFailures >= check.unhealthyAfter()) {
                healthy = false;
            }
        }
    }

    boolean healthy() {
        return healthy;
    }

    /** 0 closed, 1 open, 2 half-open. */
    int breakerState() {
        return breaker.state();
    }

    long breakerOpenings() {
        return breaker.openings();
    }

    /**
     * The circuit breaker: counts outcomes in ten buckets across {@code window}; opens when at
     * least {@code minRequests} were counted and the failed share reaches {@code failureRatio};
     * after {@code openFor} lets one trial request through (half-open): its success closes the
     * breaker, its failure opens it again. Guarded by its own lock.
     */
    static final class Breaker {
        private static final int BUCKETS = 10;
        private static final int CLOSED = 0;
        private static final int OPEN = 1;
        private static final int HALF_OPEN = 2;

        private final long[] total = new long[BUCKETS];
        private final long[] failed = new long[BUCKETS];
        private final long[] epoch = new long[BUCKETS];
        private int state = CLOSED;
        private long openUntil;
        private boolean trial;
        private long openings;

        synchronized boolean available(long now) {
            return switch (state) {
                case CLOSED -> true;
                case OPEN -> now - openUntil >= 0;
                default -> !trial;
            };
        }

        synchronized boolean acquire(long now) {
            switch (state) {
                case CLOSED:
                    return true;
                case OPEN:
                    if (now - openUntil < 0) {
                        return false;
                    }
                    state = HALF_OPEN;
                    trial = true;
                    return true;
                default:
                    if (trial) {
                        return false;
                    }
                    trial = true;
                    return true;
            }
        }

        synchronized void record(boolean failure, long now, UpstreamTargets.CircuitBreaker config) {
            if (state == HALF_OPEN) {
                trial = false;
                if (failure) {
                    open(now, config);
                } else {
                    state = CLOSED;
                    java.util.Arrays.fill(total, 0);
                    java.util.Arrays.fill(failed, 0);
                }
                return;
            }
            if (state == OPEN) {
                return; // requests sent before it opened
            }
            long bucketNanos = Math.max(1, config.window().toNanos() / BUCKETS);
            long e = Math.floorDiv(now, bucketNanos);
            int i = (int) Math.floorMod(e, BUCKETS);
            if (epoch[i] != e) {
                epoch[i] = e;
                total[i] = 0;
                failed[i] = 0;
            }
            total[i]++;
            if (failure) {
                failed[i]++;
            }
            long sum = 0;
            long fails = 0;
            for (int b = 0; b < BUCKETS; b++) {
                if (e - epoch[b] < BUCKETS) {
                    sum += total[b];
                    fails += failed[b];
                }
            }
            if (sum >= config.minRequests() && fails * 100 >= (long) config.failureRatioPercent() * sum) {
                open(now, config);
            }
        }

        private void open(long now, UpstreamTargets.CircuitBreaker config) {
            state = OPEN;
            openUntil = now + config.openFor().toNanos();
            openings++;
            java.util.Arrays.fill(total, 0);
            java.util.Arrays.fill(failed, 0);
        }

        synchronized int state() {
            return state;
        }

        synchronized long openings() {
            return openings;
        }
    }
}
