package dev.meridian.core;

import dev.meridian.policy.api.SharedState;

/**
 * The port through which the engine opens the cluster-shared state it offers policies
 * ({@code PolicyContext.state(name)}). Implemented by {@code gateway-cluster} (Hazelcast stays
 * there) and registered as an OSGi service; the engine holds no state of its own.
 */
public interface SharedStates {

    /** The space {@code name}; the same instance for the same name on this node. */
    SharedState open(String name);
}
