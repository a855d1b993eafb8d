package dev.meridian.cluster;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Membership of this node's cluster. Every node publishes its own status; everybody reads all.
 * A node that left gracefully disappears from the listing; one that vanished (killed, cut off)
 * stays listed as {@code unreachable} until it returns or is forgotten.
 */
@ProviderType
public interface ClusterMembership {

    /** This node's name ({@code MERIDIAN_NODE_NAME}), unique in the cluster. */
    String localName();

    /** Every known node, this one included, sorted by name. */
    List<ClusterNode> nodes();

    /**
     * Whether every entry the cluster holds (revisions, cache entries, generations) has its
     * backup on another live member, so stopping any one node now loses nothing. False while
     * partitions migrate after a node joined or left. A node without a cluster is safe.
     */
    default boolean safe() {
        return true;
    }

    /** Replaces this node's published status. Cheap; call it whenever the status changes. */
    void publishLocalStatus(ClusterNode status);
}
