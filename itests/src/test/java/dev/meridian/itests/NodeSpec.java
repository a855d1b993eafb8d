package dev.meridian.itests;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one node is: its name, its ports on loopback and the environment that sets it apart
 * from the others ({@code MERIDIAN_CACHE_*}, {@code MERIDIAN_CLUSTER_MODE}, ...).
 *
 * @param dir the node's directory under the test's work dir (its name unless two nodes share one)
 */
record NodeSpec(String name, String dir, int httpPort, int adminPort, int sshPort, int clusterPort, Map<String, String> env) {

    NodeSpec {
        env = Map.copyOf(env);
    }

    /** A node with its own ports; its Hazelcast member listens on {@code httpPort - 21000}. */
    static NodeSpec of(String name, int httpPort, int adminPort, int sshPort) {
        return new NodeSpec(name, name, httpPort, adminPort, sshPort, httpPort - 21000, Map.of());
    }

    /** The layout of the multi-node tests: admin on {@code httpPort + 1}, ssh on {@code httpPort + 2}. */
    static NodeSpec of(String name, int httpPort, int clusterPort) {
        return new NodeSpec(name, name, httpPort, httpPort + 1, httpPort + 2, clusterPort, Map.of());
    }

    NodeSpec withEnv(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(env);
        more.put(key, value);
        return new NodeSpec(name, dir, httpPort, adminPort, sshPort, clusterPort, more);
    }

    NodeSpec withDir(String otherDir) {
        return new NodeSpec(name, otherDir, httpPort, adminPort, sshPort, clusterPort, env);
    }
}
