package dev.meridian.policy.api;

import java.time.Duration;
import java.util.concurrent.Future;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Timers for a factory's policies ({@link PolicyContext#scheduler()}), run on a small platform
 * pool that is not a request thread. Tasks must not block for long. Every task still scheduled
 * is cancelled when the factory's service goes away.
 *
 * @since 1.2
 */
@ProviderType
public interface Scheduler {

    /** Runs {@code task} once after {@code delay}. */
    Future<?> schedule(Runnable task, Duration delay);

    /** Runs {@code task} every {@code period}, first after one period; a run that throws is logged and the next still runs. */
    Future<?> every(Duration period, Runnable task);
}
