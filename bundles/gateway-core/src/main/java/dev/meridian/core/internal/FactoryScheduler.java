package dev.meridian.core.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.Scheduler;

/**
 * One factory's view of the engine's policy timer pool ({@link PolicyContext#scheduler()}): it
 * remembers what it scheduled so that {@link #close()} (the factory's service went away, its
 * bundle updated or stopped) cancels every task still pending, and a replaced bundle leaves no
 * timer behind. A task that throws is logged with the policy type and never reaches the pool, so
 * an {@link #every} keeps running and the pool keeps its threads.
 *
 * <p>Scheduling after {@link #close()}, or once the engine stopped, runs nothing and throws
 * nothing (the future answered is cancelled): an instance of the old bundle may still serve for a
 * moment (routes keep it until the new factory binds) and must not start a timer nobody would
 * ever cancel.
 */
final class FactoryScheduler implements Scheduler {

    private static final Logger LOG = LoggerFactory.getLogger(FactoryScheduler.class);

    private final ScheduledExecutorService pool;
    private final String type;
    /** Tasks scheduled and perhaps still pending; one-shot tasks leave it when they ran, the rest at {@link #purge()}. */
    private final Set<Future<?>> tasks = ConcurrentHashMap.newKeySet();
    /** Set size above which done tasks are swept out (doubles with what stays, so a sweep costs O(1) per schedule). */
    private volatile int purgeAbove = 64;
    private volatile boolean closed;
    private final AtomicBoolean warnedClosed = new AtomicBoolean();

    /** @param type the policy type whose factory this serves, for logs */
    FactoryScheduler(ScheduledExecutorService pool, String type) {
        this.pool = pool;
        this.type = type;
    }

    @Override
    public Future<?> schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(delay, "delay");
        if (closed) {
            return refused();
        }
        AtomicReference<Future<?>> self = new AtomicReference<>();
        Runnable once = () -> {
            try {
                guarded(task, "scheduled").run();
            } finally {
                Future<?> f = self.get();
                if (f != null) {
                    tasks.remove(f);
                }
            }
        };
        Future<?> f;
        try {
            f = pool.schedule(once, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopped) {
            return stopped();
        }
        self.set(f);
        return track(f);
    }

    @Override
    public Future<?> every(Duration period, Runnable task) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(period, "period");
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        if (closed) {
            return refused();
        }
        long nanos = period.toNanos();
        // fixed delay: a run that took long (or a busy pool) delays the next instead of bunching runs
        try {
            return track(pool.scheduleWithFixedDelay(guarded(task, "periodic"), nanos, nanos, TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException stopped) {
            return stopped();
        }
    }

    /** Cancels every task still pending; later calls schedule nothing. Idempotent. */
    void close() {
        closed = true;
        int cancelled = 0;
        for (Future<?> f : tasks) {
            if (f.cancel(false)) {
                cancelled++;
            }
        }
        tasks.clear();
        if (cancelled > 0) {
            LOG.info("cancelled {} timer(s) of policy type '{}': its factory went away", cancelled, type);
        }
    }

    /** Tasks scheduled and not yet known to be done (tests). */
    int pending() {
        purge();
        return tasks.size();
    }

    private Future<?> track(Future<?> f) {
        tasks.add(f);
        if (closed) {
            f.cancel(false); // close() ran between the check and the add
            tasks.remove(f);
        } else if (f.isDone()) {
            tasks.remove(f);
        }
        if (tasks.size() > purgeAbove) {
            purge();
            purgeAbove = Math.max(64, tasks.size() * 2);
        }
        return f;
    }

    private void purge() {
        tasks.removeIf(Future::isDone);
    }

    private Future<?> refused() {
        if (warnedClosed.compareAndSet(false, true)) {
            LOG.warn("a policy of type '{}' scheduled a task after its factory went away; not run", type);
        }
        return cancelled();
    }

    /** The engine stopped (its pool with it): nothing runs any more, and the policy is not thrown at. */
    private Future<?> stopped() {
        LOG.debug("a policy of type '{}' scheduled a task after the engine stopped; not run", type);
        return cancelled();
    }

    private static Future<?> cancelled() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        f.cancel(false);
        return f;
    }

    private Runnable guarded(Runnable task, String kind) {
        return () -> {
            try {
                task.run();
            } catch (VirtualMachineError fatal) {
                throw fatal;
            } catch (Throwable failure) {
                // a stale class of an updated bundle (LinkageError) is as likely here as a bug
                LOG.error("a {} task of policy type '{}' failed", kind, type, failure);
            }
        };
    }
}
