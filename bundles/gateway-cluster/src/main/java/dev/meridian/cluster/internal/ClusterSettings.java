package dev.meridian.cluster.internal;

import java.util.ArrayList;
import java.util.List;

import dev.meridian.core.Settings;

/**
 * The cluster settings of CONTRACT §2, from {@code MERIDIAN_*} environment variables.
 *
 * @param members join list, each {@code host[:port]} (the member port when no port is given)
 * @param forgetAfter how long a node that vanished (killed, cut off) stays listed as unreachable
 */
record ClusterSettings(String name, String nodeName, String region, String host, int port, List<String> members,
                       String mode, java.time.Duration forgetAfter) {

    static ClusterSettings fromEnvironment(String nodeName) {
        int port = Settings.integer("MERIDIAN_CLUSTER_PORT", 5701);
        return new ClusterSettings(
            Settings.string("MERIDIAN_CLUSTER_NAME", "meridian"),
            nodeName,
            Settings.string("MERIDIAN_REGION", "default"),
            Settings.string("MERIDIAN_CLUSTER_HOST", "127.0.0.1"),
            port,
            parseMembers(Settings.string("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1"), port),
            Settings.string("MERIDIAN_CLUSTER_MODE", "embedded"),
            dev.meridian.model.Durations.parse(Settings.string("MERIDIAN_CLUSTER_FORGET_AFTER", "10m")));
    }

    /** {@code "a, b:5702"} → {@code ["a:5701", "b:5702"]} with {@code defaultPort} 5701. */
    static List<String> parseMembers(String list, int defaultPort) {
        List<String> out = new ArrayList<>();
        for (String raw : list.split(",")) {
            String m = raw.trim();
            if (m.isEmpty()) {
                continue;
            }
            int colon = m.lastIndexOf(':');
            if (colon > 0 && m.indexOf(']') < colon) {
                Integer.parseInt(m.substring(colon + 1)); // rejects garbage early with a clear exception
                out.add(m);
            } else {
                out.add(m + ":" + defaultPort);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("MERIDIAN_CLUSTER_MEMBERS lists no member");
        }
        return List.copyOf(out);
    }
}
