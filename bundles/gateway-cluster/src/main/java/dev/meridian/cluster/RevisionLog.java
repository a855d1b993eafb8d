package dev.meridian.cluster;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The cluster-wide, strictly increasing sequence of revisions. Each number is committed at most
 * once, by whoever stores it first, and always computed from the number before it: two applies
 * made at the same moment on two nodes both land, one after the other, each computed from the
 * one before (no lost update, no gap).
 */
@ProviderType
public interface RevisionLog {

    /** The newest committed revision, if the cluster holds any. Reads the cluster. */
    Optional<CommittedRevision> latest();

    /** A committed revision still held by the cluster (the last few hundred are kept). */
    Optional<CommittedRevision> get(long revision);

    /**
     * Commits the next revision: asks {@code change} for the payload of the revision after the
     * newest one it is given (empty = nothing to commit) and stores it as that number, unless
     * another node stored that number first — then {@code change} is asked again, given the newer
     * revision. So {@code change} may be called more than once and must only compute (no side
     * effects that matter when its answer is thrown away). Its last answer is the outcome: the
     * committed revision, or empty; an unchecked exception it throws propagates and commits
     * nothing. Either is reported only once the revision {@code change} was given is known to be
     * the cluster's newest, so a refusal or a "nothing to do" is never decided on a stale state.
     *
     * @throws ClusterUnavailableException without a majority of the configured members, or when
     *                                     other nodes kept committing first for 15 s
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
