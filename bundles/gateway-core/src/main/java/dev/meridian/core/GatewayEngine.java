package dev.meridian.core;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.osgi.annotation.versioning.ProviderType;

import dev.meridian.core.series.SeriesBook;
import dev.meridian.model.ApiDefinition;

/**
 * The node's engine: compiles states into route tables and publishes them atomically. The data
 * plane reads {@link #current()} per request; the manager validates and publishes; whoever needs
 * to react to a swap registers a {@link TableListener} instead of polling.
 */
@ProviderType
public interface GatewayEngine {

    /** The table serving new requests. Never null. One volatile read. */
    RouteTable current();

    /** The state the current table was compiled from. */
    GatewayState state();

    /**
     * Checks that every policy of {@code apis} names a type provided on this node and that its
     * configuration is valid for that type. Does not wait: see {@link #awaitTypes}.
     */
    void validate(Collection<ApiDefinition> apis) throws ValidationException;

    /**
     * Checks that every {@code ${secret:NAME}} reference in the policies and upstreams of
     * {@code apis} resolves on this node now, and that their upstreams' TLS files load (the files
     * are read, no policy is built); problems name the API, the field and the secret or file,
     * never a value. For the APIs a change leaves as they are: the compile of the next state needs
     * their secrets too.
     *
     * @since 1.3.0
     */
    void checkSecrets(Collection<ApiDefinition> apis) throws ValidationException;

    /**
     * Compiles {@code state} off to the side and publishes it, unless a newer revision is already
     * published (then the future completes with the newer table). Runs on the engine's executor.
     * Fails with {@link ValidationException} when the state cannot be compiled on this node; the
     * current table keeps serving. A compile that fails only because a type is
     * {@link TypeStatus#PENDING} is tried again when the type is back, within the type wait
     * ({@code MERIDIAN_TYPE_WAIT}).
     */
    CompletableFuture<RouteTable> publish(GatewayState state);

    /**
     * Compiles the published state again, as it is, and publishes the result as a new generation
     * of the same revision: what a compile reads besides the state (the secret files of
     * {@code MERIDIAN_SECRETS_DIR}) is read again. Policy instances whose resolved configuration
     * is unchanged are kept. Runs on the engine's executor; fails with {@link ValidationException}
     * (naming secrets, never their values) when the state cannot be compiled now, and then the
     * current table keeps serving.
     *
     * @since 1.3.0
     */
    CompletableFuture<RouteTable> recompile();

    /** Whether a policy type can be used on this node. */
    enum TypeStatus {
        /** A factory of the type is registered. */
        PROVIDED,
        /**
         * Not registered now, but on its way: its bundle is being updated, refreshed, upgraded,
         * installed or started, or its factory went away less than the type wait ago. Wait for it.
         */
        PENDING,
        /** Not provided and not on its way: never installed, stopped on purpose, or gone for longer than the type wait. */
        ABSENT
    }

    /** Whether {@code type} is provided here, on its way, or absent. Cheap; never blocks. */
    TypeStatus typeStatus(String type);

    /**
     * Completes once none of {@code types} is {@link TypeStatus#PENDING} on this node (each is
     * provided or absent), or once {@code timeout} has passed, with those of {@code types} not
     * provided then. Completes at once when none is pending. Never completes exceptionally;
     * nothing polls while it waits.
     */
    CompletableFuture<Set<String>> awaitTypes(Collection<String> types, Duration timeout);

    /** The {@link TypeStatus#PENDING} types, each with the bundle it is expected from; not in {@link #plugins()}. */
    List<PluginInfo> pendingPlugins();

    /** This node's time series per API and shape (issue 14: the console's data), recorded by the data plane. */
    SeriesBook series();

    /** Node state: starting until the first publish, degraded while a used policy type is missing. */
    NodeState nodeState();

    /** Turns the node to draining (readiness 503); never undone in this process. */
    void startDraining();

    /** Marks startup complete: the newest known revision is published. */
    void markReady();

    /**
     * Something this node does once its first revision is published and before it reports ready
     * (the data plane pre-opens upstream pools to the sizes its peers use): at {@link #markReady}
     * the engine calls {@code hook} with the table it then serves, and the node turns ready once
     * every hook's stage has completed, however it completes, or after 10 s at most (a hook
     * bounds its own time below that). Returns what removes the hook.
     */
    default Runnable beforeReady(Function<RouteTable, CompletionStage<?>> hook) {
        return () -> { };
    }

    /** The data plane reports whether its traffic port is open; the node is ready only while it is. */
    void trafficPortOpen(boolean open);

    /** Policy types known on this node. */
    List<PluginInfo> plugins();

    /** Metrics of every API this node has served, and of each shape of a split API apart ({@link ApiMetrics#shape()}). */
    Collection<ApiMetrics> apiMetrics();

    /** Counters of the engine itself (publishes, tables retired, requests without route). */
    EngineStats stats();

    /** Engine counters. */
    record EngineStats(long publishes, long retired, long tablesInFlight, long unmatched) {
    }

    /** Counts a request that matched no route. */
    void countUnmatched();

    /**
     * Tells {@code listener} of the current table (soon, on the engine thread) and then after every
     * swap and every change of the node's state or policy types, until it is removed. See
     * {@link TableListener} for the threading rules. Adding the same listener twice has no effect.
     */
    void addListener(TableListener listener);

    /** Stops telling {@code listener}; a call already under way on the engine thread completes. */
    void removeListener(TableListener listener);
}
