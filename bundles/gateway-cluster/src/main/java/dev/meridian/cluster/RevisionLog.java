package dev.meridian.cluster;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The cluster-wide, strictly increasing sequence of revisions. Commits are serialized across
 * the cluster, so two applies made at the same moment on two nodes both land, one after the
 * other, each computed from the one before (no lost update).
 */
@ProviderType
public interface RevisionLog {

    /** The newest committed revision, if the cluster holds any. */
    Optional<CommittedRevision> latest();

    /** A committed revision still held by the cluster (the last few hundred are kept). */
    Optional<CommittedRevision> get(long revision);

    /**
     * Under a cluster-wide lock: reads the newest revision, asks {@code change} for the next
     * payload (empty = nothing to commit), stores it as number newest + 1, and returns it. An
     * unchecked exception thrown by {@code change} propagates and commits nothing.
     *
     * @throws ClusterUnavailableException without a majority of the configured members
     */
    Optional<CommittedRevision> commit(Function<Optional<CommittedRevision>, Optional<String>> change)
        throws ClusterUnavailableException;

    /** Offers a revision this node holds durably (after a full restart); kept only if newer than the cluster's. */
    void seed(CommittedRevision revision);

    /**
     * Calls {@code listener} for every revision committed from now on, by any node (this one
     * included), on a Hazelcast event thread: hand work off. Returns a handle that stops it.
     */
    AutoCloseable onCommitted(Consumer<CommittedRevision> listener);
}
