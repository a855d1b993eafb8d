package dev.meridian.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told by the {@link GatewayEngine} when what this node serves changes, so that nobody polls
 * {@link GatewayEngine#current()} to find out. Register with {@link GatewayEngine#addListener}.
 *
 * <p><b>Threading.</b> Every call comes on the engine's single thread, in the order of the
 * changes: first once with the table current at registration, then after each swap. A listener
 * must return quickly and never block (no cluster round trip, no disk, no lock another thread
 * may hold while it waits for the engine): hand work to an executor of its own. An exception it
 * throws is logged and ignored; the other listeners are still told.
 *
 * <pre>{@code
 * // GOOD: remember, then hand off
 * engine.addListener((table, state) -> { served = table.revision(); worker.execute(this::report); });
 * // BAD: a cluster write on the engine thread delays every publish of this node
 * engine.addListener((table, state) -> membership.publishLocalStatus(status()));
 * }</pre>
 */
@ConsumerType
@FunctionalInterface
public interface TableListener {

    /**
     * {@code table} serves new requests from now on; {@code state} is what it was compiled from.
     * Also called when the same revision is recompiled (a policy bundle changed): compare
     * {@link RouteTable#revision()} to tell a new revision from a new generation.
     */
    void swapped(RouteTable table, GatewayState state);

    /**
     * The node's state ({@link GatewayEngine#nodeState()}) or its policy types
     * ({@link GatewayEngine#plugins()}, {@link GatewayEngine#pendingPlugins()}) may have changed.
     * Does nothing by default.
     */
    default void nodeChanged() {
    }
}
