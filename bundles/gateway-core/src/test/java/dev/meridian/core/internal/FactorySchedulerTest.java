package dev.meridian.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A factory's timers on the engine's shared pool: cancelled with the factory, surviving their own failures. */
@Timeout(20)
class FactorySchedulerTest {

    private static final Duration LATER = Duration.ofHours(1);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2);

    {
        pool.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void should_cancel_every_pending_task_when_the_factory_goes_away() {
        FactoryScheduler scheduler = new FactoryScheduler(pool, "jwt");
        AtomicInteger ticks = new AtomicInteger();
        Future<?> once = scheduler.schedule(ticks::incrementAndGet, LATER);
        Future<?> periodic = scheduler.every(Duration.ofMillis(5), ticks::incrementAndGet);
        await().atMost(WAIT).until(() -> ticks.get() >= 2);

        scheduler.close();

        assertTrue(once.isCancelled());
        assertTrue(periodic.isCancelled());
        assertEquals(0, scheduler.pending());
        assertTrue(pool.getQueue().isEmpty(), "no timer of the factory is left in the pool: " + pool.getQueue());
    }

    @Test
    void should_leave_the_timers_of_other_factories_running_when_one_goes_away() {
        FactoryScheduler old = new FactoryScheduler(pool, "jwt");
        FactoryScheduler other = new FactoryScheduler(pool, "oauth2-introspection");
        Future<?> mine = old.every(LATER, () -> { });
        AtomicInteger ticks = new AtomicInteger();
        Future<?> theirs = other.every(Duration.ofMillis(5), ticks::incrementAndGet);

        old.close();
        int before = ticks.get();

        assertTrue(mine.isCancelled());
        assertFalse(theirs.isCancelled());
        await().atMost(WAIT).until(() -> ticks.get() > before + 1);
    }

    @Test
    void should_keep_running_a_periodic_task_whose_runs_throw() {
        FactoryScheduler scheduler = new FactoryScheduler(pool, "jwt");
        AtomicInteger runs = new AtomicInteger();
        Future<?> periodic = scheduler.every(Duration.ofMillis(5), () -> {
            int n = runs.incrementAndGet();
            if (n == 1) {
                throw new IllegalStateException("IdP unreachable");
            }
            if (n == 2) {
                throw new NoClassDefFoundError("dev/example/Gone"); // a class of an updated bundle
            }
        });

        await().atMost(WAIT).until(() -> runs.get() >= 5);

        assertFalse(periodic.isDone(), "still scheduled after two failed runs");
        AtomicInteger after = new AtomicInteger();
        scheduler.schedule(after::incrementAndGet, Duration.ZERO);
        await().atMost(WAIT).until(() -> after.get() == 1); // and the pool still runs tasks
    }

    @Test
    void should_run_nothing_scheduled_after_the_factory_went_away() {
        FactoryScheduler scheduler = new FactoryScheduler(pool, "jwt");
        scheduler.close();
        AtomicInteger runs = new AtomicInteger();

        Future<?> once = scheduler.schedule(runs::incrementAndGet, Duration.ZERO);
        Future<?> periodic = scheduler.every(Duration.ofMillis(1), runs::incrementAndGet);

        assertTrue(once.isCancelled());
        assertTrue(periodic.isCancelled());
        assertTrue(pool.getQueue().isEmpty());
        assertEquals(0, pool.getTaskCount(), "never reached the pool");
    }

    @Test
    void should_forget_one_shot_tasks_once_they_ran() {
        FactoryScheduler scheduler = new FactoryScheduler(pool, "oauth2-introspection");
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 500; i++) {
            scheduler.schedule(runs::incrementAndGet, Duration.ZERO);
        }

        await().atMost(WAIT).until(() -> runs.get() == 500);

        await().atMost(WAIT).until(() -> scheduler.pending() == 0);
    }

    @Test
    void should_refuse_a_period_that_is_not_positive() {
        FactoryScheduler scheduler = new FactoryScheduler(pool, "jwt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scheduler.every(Duration.ZERO, () -> { }));
        assertTrue(e.getMessage().contains("period must be positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scheduler.every(Duration.ofSeconds(-1), () -> { }));
    }
}
