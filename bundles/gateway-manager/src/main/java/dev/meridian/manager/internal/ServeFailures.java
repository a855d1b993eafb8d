package dev.meridian.manager.internal;

import java.util.concurrent.TimeUnit;

/**
 * Which failures to serve a revision on this node are worth a log line. Catch-up publishes a
 * revision that failed here again every second (so that it serves as soon as it can: a policy
 * bundle installed, a secret file written), and each attempt fails the same way until then: one
 * line per attempt buried the log. A failure is logged when it is the first for its revision,
 * when its reason differs from the one logged last, or when {@link #QUIET_NANOS} passed since the
 * last line for it; once the revision (or a newer one) is served, that is logged once too. The
 * state itself stays visible meanwhile in the node's entry of {@code GET /api/v1/cluster}
 * ({@code error}), which {@link NodeStatusReporter} publishes, and in {@code /metrics}
 * ({@code meridian_revision_unserved}).
 *
 * <p>Thread-safe: called from the engine's completion callbacks and from catch-up's thread, only
 * on publishes (never per request), so plain {@code synchronized} is enough.
 */
final class ServeFailures {

    /** How long a failure that keeps recurring unchanged stays out of the log. */
    static final long QUIET_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** The failure logged last, its time, and how many attempts failed the same way since. */
    private long revision = -1;
    private String reason;
    private long loggedAt;
    private long repeats;

    /** What to log now for a failure, or {@code null} when it repeats the last line within the quiet interval. */
    synchronized String failed(long failedRevision, String why, long nowNanos) {
        boolean same = failedRevision == revision && why.equals(reason);
        if (same && nowNanos - loggedAt < QUIET_NANOS) {
            repeats++;
            return null;
        }
        String line = same
            ? "still failing after " + repeats + " more attempts in " + TimeUnit.NANOSECONDS.toMinutes(nowNanos - loggedAt)
                + " min: " + why
            : why;
        revision = failedRevision;
        reason = why;
        loggedAt = nowNanos;
        repeats = 0;
        return line;
    }

    /**
     * This node now serves {@code servedRevision}: returns the revision whose failure was logged
     * and is now over (to be logged once), or -1 when none was pending.
     */
    synchronized long served(long servedRevision) {
        if (reason == null || servedRevision < revision) {
            return -1;
        }
        long over = revision;
        revision = -1;
        reason = null;
        repeats = 0;
        return over;
    }
}
