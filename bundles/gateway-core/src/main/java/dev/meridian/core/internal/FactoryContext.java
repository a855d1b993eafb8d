package dev.meridian.core.internal;

import java.time.Clock;

import dev.meridian.policy.api.Consumers;
import dev.meridian.policy.api.OutboundHttp;
import dev.meridian.policy.api.PolicyContext;
import dev.meridian.policy.api.Scheduler;
import dev.meridian.policy.api.SharedState;

/**
 * The context of one registered policy factory: made when its service binds, closed when it
 * unbinds. Only the scheduler is its own (closing cancels its timers); the rest is the node's
 * ({@link FactoryContexts}) and outlives it, so an instance of the old bundle still serving during
 * an update keeps working HTTP and shared state.
 *
 * <p>Validation dry runs get this same context. Timers therefore belong to the factory, not to an
 * instance: a policy that started one per {@code create} would leave one behind for every dry run
 * and every revision until its bundle goes. Factories keep timed work per factory, keyed by what
 * it serves (the jwt factory's key sources by issuer), and create only looks it up.
 */
final class FactoryContext implements PolicyContext {

    private final FactoryContexts node;
    private final FactoryScheduler scheduler;

    FactoryContext(FactoryContexts node, FactoryScheduler scheduler) {
        this.node = node;
        this.scheduler = scheduler;
    }

    @Override
    public OutboundHttp http() {
        return node.http();
    }

    @Override
    public SharedState state(String name) {
        return node.state(name);
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public Clock clock() {
        return node.clock();
    }

    @Override
    public Consumers consumers() {
        return node.consumers();
    }

    @Override
    public String nodeName() {
        return node.nodeName();
    }

    /** The factory went away: its timers are cancelled and it schedules nothing more. */
    void close() {
        scheduler.close();
    }

    /** Timers of this factory not yet run or cancelled (tests). */
    int pendingTimers() {
        return scheduler.pending();
    }
}
