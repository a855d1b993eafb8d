package dev.meridian.cache.internal;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.cache.LocalTier;

/**
 * Gives back the memory of the fast-tier entries an invalidation covered: after the node has
 * acknowledged the invalidation, in slices on the cache's timer thread, each followed by a rest
 * proportional to its own time. Nothing waits for it: a lookup already refuses an entry whose
 * generations are below the node's (the acknowledgement means those are raised), so the sweep
 * only frees memory. It used to run inside the broadcast handler, before the acknowledgement,
 * over every entry of the tier at once (tens of thousands): the window of other traffic that
 * held the invalidation was the worst of {@code bench/invalidate.sh}.
 *
 * <p>One pass at a time; an invalidation during a pass starts another pass after it (entries the
 * running pass already visited may be covered by the newer generations). State other than
 * {@link #wanted} is touched only on the timer thread.
 */
final class FastTierSweeper {

    private static final Logger LOG = LoggerFactory.getLogger(FastTierSweeper.class);

    /** Entries visited per slice: a few hundred microseconds of generation checks. */
    static final int SLICE = 2048;
    /** Rest after a slice, times the slice's own time (at least {@link #MIN_REST_NANOS}). */
    static final int REST = 4;
    private static final long MIN_REST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ScheduledExecutorService timer;
    /** A new pass over each cache's fast tier (in {@link CacheComponent}: each RouteCache's {@code sweep}). */
    private final Supplier<Collection<LocalTier.Sweep>> passes;
    private final int slice;
    private final AtomicBoolean wanted = new AtomicBoolean();
    private final ArrayDeque<LocalTier.Sweep> pending = new ArrayDeque<>();
    private boolean running;
    private long dropped;
    private long startNanos;
    private long workNanos;

    FastTierSweeper(ScheduledExecutorService timer, Supplier<Collection<LocalTier.Sweep>> passes, int slice) {
        this.timer = timer;
        this.passes = passes;
        this.slice = slice;
    }

    /** Asks for a pass over every cache's fast tier; cheap, from any thread. */
    void request() {
        wanted.set(true);
        try {
            timer.execute(this::startIfIdle);
        } catch (RejectedExecutionException e) {
            LOG.debug("fast tier not swept: the cache is stopping");
        }
    }

    private void startIfIdle() {
        if (running || !wanted.getAndSet(false)) {
            return;
        }
        pending.addAll(passes.get());
        running = true;
        dropped = 0;
        workNanos = 0;
        startNanos = System.nanoTime();
        step();
    }

    private void step() {
        long t0 = System.nanoTime();
        try {
            LocalTier.Sweep s = pending.peek();
            if (s != null) {
                dropped += s.step(slice);
                if (s.done()) {
                    pending.poll();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("sweeping the fast tier failed; its covered entries stay until evicted (lookups refuse them)", e);
            pending.clear();
        }
        long took = System.nanoTime() - t0;
        workNanos += took;
        if (!pending.isEmpty()) {
            timer.schedule(this::step, Math.max(MIN_REST_NANOS, REST * took), TimeUnit.NANOSECONDS);
            return;
        }
        running = false;
        if (dropped > 0) {
            LOG.info("cache: {} invalidated entries dropped from this node's fast tier in {} ms ({} ms of work)", dropped,
                (System.nanoTime() - startNanos) / 1_000_000, workNanos / 1_000_000);
        }
        if (wanted.get()) {
            startIfIdle();
        }
    }
}
