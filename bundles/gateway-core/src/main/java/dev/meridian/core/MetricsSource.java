package dev.meridian.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A bundle's own counters for the node's {@code /metrics} (Prometheus text format), registered as
 * a service: the manager's metrics servlet appends every source's lines, so a bundle it does not
 * know (the data plane) exports its counters without the manager importing it.
 *
 * @since 1.3.0
 */
@ConsumerType
public interface MetricsSource {

    /**
     * Appends complete families ({@code # HELP}, {@code # TYPE}, samples, each line ending in
     * {@code \n}) to {@code out}. Called on an admin thread: read counters, never block.
     */
    void write(StringBuilder out);
}
