package dev.meridian.policy.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import dev.meridian.policy.api.SharedState;
import dev.meridian.policy.api.SharedState.Taken;

/**
 * {@code scope: cluster}: this node's view of one window's cluster-wide count. The count lives in
 * the cluster ({@link SharedState#take}, one key per API, key value and window); this node
 * <em>leases</em> a slice of what is left, {@link #leaseSize}, and spends it here with one
 * compare-and-set per request. Tokens are debited in the cluster before they are spent, so the
 * nodes together never admit more than the limit; a slice not spent by the window's end (or by a
 * node that dies) is lost, which is why slices shrink as the budget and the window run out.
 *
 * <p>When the slice runs low (half of the last lease) the next one is fetched in the background,
 * and in the last tenth of the window (at most {@link #NEXT_LEAD_MILLIS}) a busy bucket leases a
 * slice of the next window, which that window's bucket starts with, so a request almost never waits; one that finds no token while a lease is on its way gets a
 * {@link Outcome.Later} completed when it lands (never a blocked thread). Once the cluster
 * grants nothing, the window is spent for this cap: later requests are refused here without a
 * cluster call until the window ends (or a higher cap, after an apply, asks again).
 *
 * <p>When the cluster call fails (no cluster, a partition migrating), this node counts the
 * window on its own against the full limit for {@link #DEGRADED_FOR} and then asks the cluster
 * again: rate limiting keeps working, at worst at limit x nodes, rather than failing the API
 * (what Kong's {@code fault_tolerant} and Envoy's default {@code failure_mode_deny: false} do).
 */
final class LeaseBucket extends Bucket {

    /** Slices per remaining budget: about 4 x the nodes of a 4-node cluster, as the design note asks (remaining / (4 x nodes)). */
    static final long SLICES = 16;
    /**
     * The largest slice a node holds at a low rate: what a node dying mid-window can take with it.
     * A busy node's slices grow to cover {@link #COVER_MILLIS} of its own traffic (never past
     * {@code left / SLICES}).
     */
    static final long MAX_LEASE = 64;
    /**
     * How much of this node's traffic a slice may cover: with slices of 64 at 6,000 requests/s a
     * lease lasted 10 ms, the next one (asked at half) had 5 ms to land, and requests that found
     * none waited for a cluster round trip (bench/ratelimit.sh's paced lanes: +0.04 ms at p50,
     * up to +1 ms at p99 over a trivial policy). Covering 50 ms, a lease asked at half has 25 ms.
     */
    static final long COVER_MILLIS = 50;
    /** How long past its window the cluster keeps a count (clock differences between nodes). */
    static final long TTL_MARGIN_MILLIS = 5_000;
    /** How long a node counts alone after a failed cluster call. */
    static final long DEGRADED_FOR = 5_000;

    /** How early before its window ends a busy bucket leases for the next window: a tenth of the window, at most this. */
    static final long NEXT_LEAD_MILLIS = 100;

    private final SharedState state;
    /** The bucket's key in the cluster without the window ({@link #clusterKey(long)} adds it). */
    private final String baseKey;
    private final String clusterKey;
    private final Consumer<Throwable> failures;
    private final Clock clock;

    /** Tokens leased and not spent yet. */
    private final AtomicLong tokens = new AtomicLong();
    /** Tokens ever leased in this window (spent = leased - tokens). */
    private final AtomicLong leased = new AtomicLong();
    private final AtomicBoolean fetching = new AtomicBoolean();
    /** The highest cap the cluster granted nothing for: the window is spent for caps up to it. */
    private volatile long spentFor = -1;
    /** What the cluster had left after the last lease (an upper estimate for the RateLimit header). */
    private volatile long clusterRemaining = Long.MAX_VALUE;
    private volatile long lastLease = 1;
    /** Until when this node counts alone (0: not degraded). */
    private volatile long degradedUntil;
    private final AtomicLong alone = new AtomicLong();
    /** The lease taken for the next window before this one ended, or null; the next window's bucket starts with it. */
    private final AtomicReference<Prefetched> next = new AtomicReference<>();
    /** A lease this bucket starts with (taken by the previous window's bucket), or null; consumed by {@link #start}. */
    private final AtomicReference<Prefetched> inherited;
    /** Requests waiting for a lease, guarded by {@code this}. */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /** A lease asked for a later window: its stage, the slice and the cap it was asked with. */
    record Prefetched(CompletionStage<Taken> stage, long want, long cap) {
    }

    /** {@link #next} once the next window's bucket took the lease over: no later prefetch. */
    private static final Prefetched HANDED_OVER = new Prefetched(CompletableFuture.completedStage(null), 0, 0);

    private record Waiter(CompletableFuture<Outcome> answer, long cap, Again again) {
        /** Counted anew in the window current now; completes when that count is known. */
        void countAgain() {
            Outcome o = again.acquire();
            if (o instanceof Outcome.Later later) {
                later.stage().whenComplete((v, e) -> {
                    if (e != null) {
                        answer.completeExceptionally(e);
                    } else {
                        answer.complete(v);
                    }
                });
            } else {
                answer.complete(o);
            }
        }
    }

    /**
     * @param baseKey the bucket's key, the window's start is added for the cluster
     * @param inherited the lease the previous window's bucket took for this window, or null
     */
    LeaseBucket(Window window, SharedState state, String baseKey, Consumer<Throwable> failures, Clock clock,
        Prefetched inherited) {
        super(window);
        this.clock = clock;
        this.state = state;
        this.baseKey = baseKey;
        this.clusterKey = clusterKey(window.start());
        this.failures = failures;
        this.inherited = new AtomicReference<>(inherited);
        if (inherited != null) {
            fetching.set(true); // the inherited lease is this bucket's first fetch; start() hands it over
            lastLease = inherited.want();
        }
    }

    /** The key of this bucket's count in the cluster for the window starting at {@code windowStart}. */
    String clusterKey(long windowStart) {
        return baseKey + "\n" + windowStart / 1_000;
    }

    /**
     * Hands the inherited lease over once (called by the limiter after publishing this bucket,
     * outside the map's lock): when it lands it is spent like any lease of this window.
     */
    void start() {
        Prefetched p = inherited.getAndSet(null);
        if (p != null) {
            p.stage().whenComplete((taken, failure) -> landed(taken, failure, p.cap()));
        }
    }

    /**
     * Hands the lease taken for the window after this one to that window's bucket, once: null when
     * none was taken. After it, this bucket takes no more (a request that read this bucket just
     * before the window turned would otherwise lease a slice no bucket inherits: CI lost 62 of
     * 1,000 in four windows that way).
     */
    Prefetched handOver() {
        Prefetched p = next.getAndSet(HANDED_OVER);
        return p == HANDED_OVER ? null : p;
    }

    /** True while a lease for the next window is taken and not handed over (the sweep keeps such a bucket). */
    boolean holdsNext() {
        Prefetched p = next.get();
        return p != null && p != HANDED_OVER;
    }

    /**
     * Near the window's end (the last tenth, at most {@link #NEXT_LEAD_MILLIS}) a bucket that
     * still serves requests leases for the next window, so the next window's first requests find
     * tokens instead of waiting for a round trip. A key that goes quiet loses that slice
     * (under-admission of at most one slice in a window it did not use).
     */
    private void prefetchNext(long cap, long now) {
        long lead = Math.min(NEXT_LEAD_MILLIS, (window.end() - window.start()) / 10);
        if (now < window.end() - lead || next.get() != null || degradedUntil != 0) {
            return;
        }
        long want = Math.max(1, Math.min(maxLease(leased.get() - tokens.get(), now - window.start()), cap / SLICES));
        long nextEnd = window.end() + (window.end() - window.start());
        CompletableFuture<Taken> answer = new CompletableFuture<>();
        if (!next.compareAndSet(null, new Prefetched(answer, want, cap))) {
            return;
        }
        CompletionStage<Taken> stage;
        try {
            stage = state.take(clusterKey(window.end()), want, cap, Duration.ofMillis(nextEnd - now + TTL_MARGIN_MILLIS));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedStage(e);
        }
        stage.whenComplete((taken, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(taken);
            }
        });
    }

    @Override
    Outcome acquire(long cap, long now, Again again) {
        if (degradedUntil != 0) {
            if (now < degradedUntil) {
                return alone(cap, now);
            }
            degradedUntil = 0;
        }
        long t = spend();
        if (t >= 0) {
            if (t <= lastLease / 2 && cap > spentFor) {
                fetch(cap, now);
            }
            prefetchNext(cap, now);
            return admitted(cap, t, now);
        }
        if (cap <= spentFor) {
            prefetchNext(cap, now); // a spent window's key is busy: its next window starts with a slice
            return new Outcome.Limited(window.secondsLeft(now));
        }
        CompletableFuture<Outcome> answer = new CompletableFuture<>();
        synchronized (this) {
            t = spend();
            if (t >= 0) {
                return admitted(cap, t, now);
            }
            waiters.add(new Waiter(answer, cap, again));
        }
        fetch(cap, now);
        return new Outcome.Later(answer);
    }

    /** Takes one local token: the tokens left after it, or -1 when there was none. */
    private long spend() {
        long t;
        while ((t = tokens.get()) > 0) {
            if (tokens.compareAndSet(t, t - 1)) {
                return t - 1;
            }
        }
        return -1;
    }

    private Outcome admitted(long cap, long tokensLeft, long now) {
        long remaining = Math.min(cap, clusterRemaining == Long.MAX_VALUE ? cap : clusterRemaining + tokensLeft);
        return new Outcome.Admitted(remaining, window.secondsLeft(now));
    }

    private Outcome alone(long cap, long now) {
        long n;
        while ((n = alone.get()) < cap) {
            if (alone.compareAndSet(n, n + 1)) {
                return new Outcome.Admitted(cap - n - 1, window.secondsLeft(now));
            }
        }
        return new Outcome.Limited(window.secondsLeft(now));
    }

    /** Starts one lease request unless one is on its way. */
    private void fetch(long cap, long now) {
        if (!fetching.compareAndSet(false, true)) {
            return;
        }
        long want = leaseSize(cap, clusterRemaining, now, leased.get() - tokens.get());
        lastLease = want;
        CompletionStage<Taken> stage;
        try {
            stage = state.take(clusterKey, want, cap, Duration.ofMillis(window.end() - now + TTL_MARGIN_MILLIS));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedStage(e);
        }
        stage.whenComplete((taken, failure) -> landed(taken, failure, cap));
    }

    /**
     * The slice to ask for: {@code clamp(left / SLICES, 1, maxLease)} ({@link #maxLease}: 64, or
     * {@link #COVER_MILLIS} of this node's spending when that is more), and in the last fifth of
     * the window no more than this node is expected to spend before it ends (its rate so far), so
     * the slices lost at the window's end stay small.
     *
     * @param clusterLeft what the cluster had left after the last lease ({@code Long.MAX_VALUE}: not asked yet)
     * @param spent tokens this node spent in the window so far
     */
    long leaseSize(long cap, long clusterLeft, long now, long spent) {
        long left = Math.min(cap, clusterLeft);
        long length = window.end() - window.start();
        long msLeft = window.end() - now;
        long elapsed = now - window.start();
        long size = Math.max(1, Math.min(maxLease(spent, elapsed), left / SLICES));
        if (msLeft * 5 < length && elapsed > 0) {
            long expected = spent * msLeft / elapsed + 1;
            size = Math.max(1, Math.min(size, expected));
        }
        return size;
    }

    /** The largest slice for a node that spent {@code spent} in the window's first {@code elapsed} ms. */
    static long maxLease(long spent, long elapsed) {
        if (elapsed < 10 || spent <= 0) {
            return MAX_LEASE;
        }
        return Math.max(MAX_LEASE, spent * COVER_MILLIS / elapsed);
    }

    private void landed(Taken taken, Throwable failure, long cap) {
        long now = clock.millis();
        List<Runnable> answers = new ArrayList<>();
        boolean again = false;
        synchronized (this) {
            if (failure != null) {
                degradedUntil = now + DEGRADED_FOR;
                for (Waiter w : waiters) {
                    Outcome o = alone(w.cap(), now);
                    answers.add(() -> w.answer().complete(o));
                }
                waiters.clear();
            } else if (now >= window.end()) {
                // landed after the window: the grant is lost with it, the waiters count in the window of now
                for (Waiter w : waiters) {
                    answers.add(w::countAgain);
                }
                waiters.clear();
            } else {
                clusterRemaining = taken.remaining();
                if (taken.granted() == 0) {
                    spentFor = Math.max(spentFor, cap);
                } else {
                    leased.addAndGet(taken.granted());
                    tokens.addAndGet(taken.granted());
                }
                while (!waiters.isEmpty()) {
                    long t = spend();
                    if (t < 0) {
                        break;
                    }
                    Waiter w = waiters.poll();
                    Outcome o = admitted(w.cap(), t, now);
                    answers.add(() -> w.answer().complete(o));
                }
                if (!waiters.isEmpty()) {
                    if (cap <= spentFor) {
                        Outcome o = new Outcome.Limited(window.secondsLeft(now));
                        for (Waiter w : waiters) {
                            answers.add(() -> w.answer().complete(o));
                        }
                        waiters.clear();
                    } else {
                        again = true;
                    }
                }
            }
            fetching.set(false);
        }
        if (failure != null) {
            failures.accept(failure);
        }
        answers.forEach(Runnable::run);
        if (again) {
            fetch(cap, now);
        }
    }

    /** Tokens leased to this node and not spent yet. */
    long tokens() {
        return tokens.get();
    }

    /** Tokens leased to this node in this window. */
    long leased() {
        return leased.get();
    }
}
