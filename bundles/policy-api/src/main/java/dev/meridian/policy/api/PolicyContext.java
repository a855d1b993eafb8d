package dev.meridian.policy.api;

import java.time.Clock;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the gateway offers a policy beyond the request: the node's asynchronous HTTP client,
 * cluster-shared state, a scheduler, a clock and the consumer registry. The engine makes one
 * context per registered {@link PolicyFactory} and passes it to
 * {@link PolicyFactory#create(java.util.Map, PolicyContext)}; a policy keeps what it needs in
 * final fields.
 *
 * <p><b>Lifetime.</b> Everything reachable from a context outlives the compiled policies of one
 * revision: state put in {@link #state(String)} lives in the cluster (it survives applies, bundle
 * updates of the policy and nodes going away, and a joining node finds it), connection pools
 * belong to the node. Tasks scheduled through {@link #scheduler()} are cancelled when the
 * factory's service goes away (its bundle stopped or updated), so a replaced bundle leaves no
 * timer behind; the new bundle's factory gets a new context over the same shared state.
 *
 * <p>Nothing here blocks the calling thread; every call that may travel answers with a
 * {@link java.util.concurrent.CompletionStage}, completed on a platform thread (never the
 * caller's), so a policy completes its {@link Decision#pending pending} decision from it.
 *
 * @since 1.2
 */
@ProviderType
public interface PolicyContext {

    /** The node's asynchronous HTTP client (warm pools, timeouts, TLS) for calls to identity providers and the like. */
    OutboundHttp http();

    /**
     * Cluster-shared state under {@code name} (a namespace, e.g. {@code "jwt.jwks"}), the same
     * on every node; names are per policy type by convention ({@code <type>.<what>}).
     */
    SharedState state(String name);

    /** Timers for this factory's policies, cancelled when the factory goes away. */
    Scheduler scheduler();

    /** The node's clock; policies read time only from it (tests and skew checks depend on it). */
    Clock clock();

    /** The consumers of the newest revision this node serves (CONTRACT §8). */
    Consumers consumers();

    /** This node's name in the cluster, for logs and leases. */
    String nodeName();
}
