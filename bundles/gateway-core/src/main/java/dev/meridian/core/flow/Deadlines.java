package dev.meridian.core.flow;

/** Schedules a request's deadlines on the data plane's timer (no thread waits for them). */
@FunctionalInterface
public interface Deadlines {

    /** A scheduled action that can be called off. */
    @FunctionalInterface
    interface Scheduled {
        void cancel();
    }

    Scheduled schedule(Runnable action, long delayMillis);
}
