package dev.meridian.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node as the cluster listing shows it (CONTRACT §5 {@code GET /api/v1/cluster}).
 *
 * @param state {@code starting}, {@code ready}, {@code degraded}, {@code draining} or {@code unreachable}
 * @param plugins policy types on the node: {@code {"type","bundle","version"}}; a type whose bundle
 *     is being installed or replaced there is listed with {@code "status":"pending"} (see {@link #provides})
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

    /** Key of a plugin entry whose value {@link #PENDING} marks a type on its way, not usable yet. */
    public static final String PLUGIN_STATUS = "status";
    /** The type's bundle is being installed, updated, refreshed or upgraded on the node: wait for it. */
    public static final String PENDING = "pending";

    public ClusterNode {
        plugins = List.copyOf(plugins);
    }

    /** Whether the node lists {@code type} as usable (entries of nodes without a status are usable). */
    public boolean provides(String type) {
        return plugins.stream().anyMatch(p -> type.equals(p.get("type")) && !PENDING.equals(p.get(PLUGIN_STATUS)));
    }

    /** Whether {@code type} is on its way on the node: listed as pending only, not usable yet. */
    public boolean awaits(String type) {
        return !provides(type) && plugins.stream().anyMatch(p -> type.equals(p.get("type")) && PENDING.equals(p.get(PLUGIN_STATUS)));
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
