package dev.meridian.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node as the cluster listing shows it (CONTRACT §5 {@code GET /api/v1/cluster}).
 *
 * @param state {@code starting}, {@code ready}, {@code degraded}, {@code draining} or {@code unreachable}
 * @param plugins policy types on the node: {@code {"type","bundle","version"}}
 * @param error why the node does not serve a revision newer than the one it serves, or
 *     {@code null} when it serves everything it was given
 */
public record ClusterNode(String name, String region, String address, long revision, String state,
                          List<Map<String, String>> plugins, Failure error) {

    /** A revision this node could not serve, and why (its compile problems, for example). */
    public record Failure(long revision, String reason) {

        public Map<String, Object> toTree() {
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("revision", revision);
            tree.put("reason", reason);
            return tree;
        }
    }

    public ClusterNode {
        plugins = List.copyOf(plugins);
    }

    public ClusterNode(String name, String region, String address, long revision, String state,
                       List<Map<String, String>> plugins) {
        this(name, region, address, revision, state, plugins, null);
    }

    /** As JSON values, in the field order of CONTRACT §5, then {@code error}. */
    public Map<String, Object> toTree() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("name", name);
        tree.put("region", region);
        tree.put("address", address);
        tree.put("revision", revision);
        tree.put("state", state);
        tree.put("plugins", plugins);
        tree.put("error", error == null ? null : error.toTree());
        return tree;
    }

    public ClusterNode withState(String newState) {
        return new ClusterNode(name, region, address, revision, newState, plugins, error);
    }
}
