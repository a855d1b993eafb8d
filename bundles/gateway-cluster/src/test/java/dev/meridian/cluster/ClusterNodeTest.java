package dev.meridian.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ClusterNodeTest {

    private static ClusterNode node(List<Map<String, String>> plugins) {
        return new ClusterNode("n1", "default", "127.0.0.1:8080", 3, "ready", plugins);
    }

    @Test
    void should_provide_a_listed_type_without_status() {
        ClusterNode n = node(List.of(Map.of("type", "set-headers", "bundle", "b", "version", "1")));

        assertTrue(n.provides("set-headers"));
        assertFalse(n.awaits("set-headers"));
    }

    @Test
    void should_await_a_type_listed_as_pending() {
        ClusterNode n = node(List.of(Map.of("type", "set-headers", "bundle", "b", "version", "1",
            ClusterNode.PLUGIN_STATUS, ClusterNode.PENDING)));

        assertFalse(n.provides("set-headers"));
        assertTrue(n.awaits("set-headers"));
    }

    @Test
    void should_neither_provide_nor_await_an_unlisted_type() {
        ClusterNode n = node(List.of(Map.of("type", "set-headers", "bundle", "b", "version", "1")));

        assertFalse(n.provides("rate-limit"));
        assertFalse(n.awaits("rate-limit"));
    }

    @Test
    void should_provide_a_type_listed_both_active_and_pending() {
        ClusterNode n = node(List.of(Map.of("type", "t", "bundle", "b", "version", "2", ClusterNode.PLUGIN_STATUS, ClusterNode.PENDING),
            Map.of("type", "t", "bundle", "b", "version", "1")));

        assertTrue(n.provides("t"));
        assertFalse(n.awaits("t"));
    }
}
