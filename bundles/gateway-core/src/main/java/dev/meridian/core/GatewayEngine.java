package dev.meridian.core;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

import dev.meridian.model.ApiDefinition;

/**
 * The node's engine: compiles states into route tables and publishes them atomically. The data
 * plane reads {@link #current()}; the manager validates and publishes.
 */
@ProviderType
public interface GatewayEngine {

    /** The table serving new requests. Never null. One volatile read. */
    RouteTable current();

    /** The state the current table was compiled from. */
    GatewayState state();

    /**
     * Checks that every policy of {@code apis} names a type provided on this node and that its
     * configuration is valid for that type.
     */
    void validate(Collection<ApiDefinition> apis) throws ValidationException;

    /**
     * Compiles {@code state} off to the side and publishes it, unless a newer revision is already
     * published (then the future completes with the newer table). Runs on the engine's executor.
     * Fails with {@link ValidationException} when the state cannot be compiled on this node; the
     * current table keeps serving.
     */
    CompletableFuture<RouteTable> publish(GatewayState state);

    /** Node state: starting until the first publish, degraded while a used policy type is missing. */
    NodeState nodeState();

    /** Turns the node to draining (readiness 503); never undone in this process. */
    void startDraining();

    /** Marks startup complete: the newest known revision is published. */
    void markReady();

    /** The data plane reports whether its traffic port is open; the node is ready only while it is. */
    void trafficPortOpen(boolean open);

    /** Policy types known on this node. */
    List<PluginInfo> plugins();

    /** Metrics of every API this node has served. */
    Collection<ApiMetrics> apiMetrics();

    /** Counters of the engine itself (publishes, tables retired, requests without route). */
    EngineStats stats();

    /** Engine counters. */
    record EngineStats(long publishes, long retired, long tablesInFlight, long unmatched) {
    }

    /** Counts a request that matched no route. */
    void countUnmatched();
}
