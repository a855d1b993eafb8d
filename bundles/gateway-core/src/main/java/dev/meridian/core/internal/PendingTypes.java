package dev.meridian.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.meridian.core.GatewayEngine.TypeStatus;
import dev.meridian.core.PluginInfo;

/**
 * Policy types that are on their way: not provided right now, but a bundle that provides or
 * declares the type changed less than the wait bound ({@code MERIDIAN_TYPE_WAIT}) ago — its
 * factory went away during an update, a refresh or a feature upgrade, or the bundle is being
 * installed, resolved or started. Such a type is <em>pending</em>, not absent: whoever needs it
 * waits for it. A type nobody provided or declared, one whose bundle was stopped on purpose,
 * and one that did not come back within the bound are absent. Whoever lists the pending types
 * is told when the list may have changed (a change, a withdrawal, an expiry).
 *
 * <p>Waiters complete when none of their types is pending any more (each came back or turned
 * absent), or at their deadline; a bind, a change or a timer wakes them, never a polling loop.
 * Thread-safe: the state is guarded by this object; futures complete outside the lock.
 */
final class PendingTypes {

    /** The last sign that a type is on its way: when, and from which bundle. */
    private record Change(long atNanos, String bundle, String version) {
    }

    private record Waiter(Set<String> types, long deadline, CompletableFuture<Set<String>> done) {
    }

    private final Predicate<String> provided;
    private final long windowNanos;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private final Runnable listChanged;
    private final Map<String, Change> changes = new HashMap<>(); // guarded by this
    private final List<Waiter> waiters = new ArrayList<>(); // guarded by this
    private ScheduledFuture<?> wake; // guarded by this
    private long wakeAt; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param provided whether a factory of a type is registered now
     * @param window how long a type stays pending after the last sign of it
     * @param clock {@link System#nanoTime()} or a test's
     * @param timer wakes waiters at expiries and deadlines
     */
    PendingTypes(Predicate<String> provided, Duration window, LongSupplier clock, ScheduledExecutorService timer) {
        this(provided, window, clock, timer, () -> { });
    }

    /** @param listChanged told (outside the lock) when the pending types may have changed, also when one expires */
    PendingTypes(Predicate<String> provided, Duration window, LongSupplier clock, ScheduledExecutorService timer,
                 Runnable listChanged) {
        this.provided = provided;
        this.windowNanos = window.toNanos();
        this.clock = clock;
        this.timer = timer;
        this.listChanged = listChanged;
    }

    /** A bundle that provides or declares {@code type} changed: its factory went, it is installed, updated, starting... */
    void changed(String type, String bundle, String version) {
        synchronized (this) {
            changes.put(type, new Change(clock.getAsLong(), bundle, version));
        }
        settle();
        listChanged.run();
    }

    /** The bundle of {@code type} was stopped on purpose: absent from now on unless provided; nobody waits for it. */
    void withdrawn(String type) {
        synchronized (this) {
            changes.remove(type);
        }
        settle();
        listChanged.run();
    }

    /** A factory came or went. */
    void providersChanged() {
        settle();
    }

    TypeStatus status(String type) {
        if (provided.test(type)) {
            return TypeStatus.PROVIDED;
        }
        synchronized (this) {
            return pendingUntil(type, clock.getAsLong()) != null ? TypeStatus.PENDING : TypeStatus.ABSENT;
        }
    }

    /** The pending types, as plugins not active yet, by type. */
    List<PluginInfo> plugins() {
        List<PluginInfo> out = new ArrayList<>();
        synchronized (this) {
            long now = clock.getAsLong();
            changes.forEach((type, c) -> {
                if (now - c.atNanos() < windowNanos && !provided.test(type)) {
                    out.add(new PluginInfo(type, c.bundle(), c.version(), false));
                }
            });
        }
        out.sort(Comparator.comparing(PluginInfo::type));
        return out;
    }

    /**
     * Completes once none of {@code types} is pending — or after {@code timeout} — with those of
     * {@code types} not provided then. At once when none is pending now.
     */
    CompletableFuture<Set<String>> await(Collection<String> types, Duration timeout) {
        Waiter waiter = new Waiter(Set.copyOf(types), clock.getAsLong() + timeout.toNanos(), new CompletableFuture<>());
        synchronized (this) {
            if (closed) {
                waiter.done().complete(missing(waiter.types()));
                return waiter.done();
            }
            waiters.add(waiter);
        }
        settle();
        return waiter.done();
    }

    /** Completes every waiter with what is missing now; later waiters complete at once. */
    void close() {
        List<Waiter> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(waiters);
            waiters.clear();
            if (wake != null) {
                wake.cancel(false);
            }
        }
        all.forEach(w -> w.done().complete(missing(w.types())));
    }

    /** Completes the waiters that are done and schedules the next wake-up for the others. */
    private void settle() {
        List<Waiter> done = new ArrayList<>();
        boolean expired;
        synchronized (this) {
            long now = clock.getAsLong();
            long next = 0;
            boolean needWake = false;
            expired = prune(now);
            // the next expiry of a pending type: its listing changes then, waiter or not
            for (Change c : changes.values()) {
                long at = c.atNanos() + windowNanos;
                if (!needWake || at - next < 0) {
                    next = at;
                    needWake = true;
                }
            }
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                Long until = null;
                for (String type : w.types()) {
                    Long t = pendingUntil(type, now);
                    if (t != null && (until == null || t - until < 0)) {
                        until = t;
                    }
                }
                if (until == null || now - w.deadline() >= 0) {
                    it.remove();
                    done.add(w);
                    continue;
                }
                long at = until - w.deadline() < 0 ? until : w.deadline();
                if (!needWake || at - next < 0) {
                    next = at;
                    needWake = true;
                }
            }
            schedule(needWake, next, now);
        }
        done.forEach(w -> w.done().complete(missing(w.types())));
        if (expired) {
            listChanged.run();
        }
    }

    /** A timer wake-up: the running task is no longer a wake-up to come, so settle() may schedule the next. */
    private void onWake() {
        synchronized (this) {
            wake = null;
        }
        settle();
    }

    /** When {@code type} stops being pending unless it changes again, or null when it is not pending. */
    private Long pendingUntil(String type, long now) {
        Change c = changes.get(type);
        if (c == null || now - c.atNanos() >= windowNanos || provided.test(type)) {
            return null;
        }
        return c.atNanos() + windowNanos;
    }

    /** Forgets the changes older than the window; whether there were any. */
    private boolean prune(long now) {
        return changes.values().removeIf(c -> now - c.atNanos() >= windowNanos);
    }

    private void schedule(boolean needWake, long at, long now) {
        if (!needWake) {
            if (wake != null) {
                wake.cancel(false);
                wake = null;
            }
            return;
        }
        if (wake != null && !wake.isDone() && wakeAt - at <= 0) {
            return; // an earlier (or the same) wake-up is already due; it reschedules
        }
        if (wake != null) {
            wake.cancel(false);
        }
        wakeAt = at;
        try {
            // a millisecond late rather than early: at the wake-up the expiry has passed
            wake = timer.schedule(this::onWake, Math.max(0, at - now) + TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            wake = null; // shutting down: close() completes the waiters
        }
    }

    private Set<String> missing(Set<String> types) {
        return Set.copyOf(types.stream().filter(t -> !provided.test(t)).toList());
    }
}
