package dev.meridian.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A cluster-wide map of small JSON records by key (the manager's tokens and audit entries): every
 * node reads all of it, a write is on a second member before it returns, and every node is told
 * of every write. Registered once per book, with the service property {@code meridian.records}
 * naming it ({@code tokens}, {@code audit}). Writes need a majority of the configured members,
 * like revisions; each node keeps its own durable copy, so the cluster holds only what live nodes
 * gave it since they started.
 */
@ProviderType
public interface SharedRecords {

    /** The service property naming a book. */
    String NAME = "meridian.records";

    /** Stores {@code json} under {@code key} unless the key is taken; the value already there otherwise. */
    Optional<String> putIfAbsent(String key, String json) throws ClusterUnavailableException;

    /** Replaces {@code expected} by {@code json} under {@code key}; false when the key holds something else. */
    boolean replace(String key, String expected, String json) throws ClusterUnavailableException;

    /** One record, read from the cluster. */
    Optional<String> get(String key);

    /** Every record the cluster holds (a copy). */
    Map<String, String> all();

    /** Forgets {@code key} in the cluster (without waiting; a bound being enforced). */
    void forget(String key);

    /**
     * Calls {@code listener} with the key and value of every record added or replaced from now on,
     * by any node (this one included), on a Hazelcast event thread: hand work off. The handle stops it.
     */
    AutoCloseable onWrite(BiConsumer<String, String> listener);
}
