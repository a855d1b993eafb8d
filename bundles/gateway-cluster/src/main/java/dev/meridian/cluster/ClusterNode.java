package dev.meridian.cluster;

import java.util.List;
import java.util.Map;

/**
 * One node as the cluster listing shows it (CONTRACT §5 {@code GET /api/v1/cluster}).
 *
 * @param state {@code starting}, {@code ready}, {@code degraded}, {@code draining} or {@code unreachable}
 * @param plugins policy types on the node: {@code {"type","bundle","version"}}
 */
public record ClusterNode(String name, String region, String address, long revision, String state,
                          List<Map<String, String>> plugins) {

    public ClusterNode {
        plugins = List.copyOf(plugins);
    }

    /** As JSON values, in the field order of CONTRACT §5. */
    public java.util.Map<String, Object> toTree() {
        java.util.Map<String, Object> tree = new java.util.LinkedHashMap<>();
        tree.put("name", name);
        tree.put("region", region);
        tree.put("address", address);
        tree.put("revision", revision);
        tree.put("state", state);
        tree.put("plugins", plugins);
        return tree;
    }

    public ClusterNode withState(String newState) {
        return new ClusterNode(name, region, address, revision, newState, plugins);
    }
}
