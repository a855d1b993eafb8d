package dev.meridian.cluster;

/** A change was refused because this node cannot reach a majority of the cluster (answered 503). */
public final class ClusterUnavailableException extends Exception {

    private static final long serialVersionUID = 1L;

    public ClusterUnavailableException(String message) {
        super(message);
    }
}
