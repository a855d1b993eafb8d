package dev.meridian.core;

/** The serving state of this node, as CONTRACT §5 names them. */
public enum NodeState {
    STARTING, READY, DEGRADED, DRAINING;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
